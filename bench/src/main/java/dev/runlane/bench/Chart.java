package dev.runlane.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** A PNG of each scenario's handoff latency distribution: one cumulative curve per scenario, log-scaled time. */
final class Chart {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x17becf), new Color(0x8c564b)};
    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    private static final int LEFT = 70;
    private static final int RIGHT = 230;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private Chart() {
    }

    static void write(Path file, List<ScenarioResult> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double minMs = 10;
        double maxMs = Math.max(1_000, results.stream().mapToDouble(r -> r.handoff().count() == 0 ? 0 : r.handoff().max()).max().orElse(1_000));
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.drawString("Handoff latency (run N terminal → run N+1 attempt start), cumulative share of handoffs", LEFT, 24);
        // axes and grid: decades of milliseconds across, quarters of the sample up
        g.setColor(new Color(0xdddddd));
        for (double ms = minMs; ms <= maxMs * 1.0001; ms *= 10) {
            int x = LEFT + (int) (plotWidth * Math.log(ms / minMs) / Math.log(maxMs / minMs));
            g.drawLine(x, TOP, x, TOP + plotHeight);
            g.setColor(Color.DARK_GRAY);
            g.drawString(Report.ms(ms), x - 15, TOP + plotHeight + 18);
            g.setColor(new Color(0xdddddd));
        }
        for (int q = 0; q <= 4; q++) {
            int y = TOP + plotHeight - plotHeight * q / 4;
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(q * 25 + "%", LEFT - 40, y + 4);
            g.setColor(new Color(0xdddddd));
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("handoff (log scale)", LEFT + plotWidth / 2 - 50, HEIGHT - 18);
        g.setStroke(new BasicStroke(2f));
        int legend = 0;
        for (int i = 0; i < results.size(); i++) {
            ScenarioResult r = results.get(i);
            double[] values = r.handoffs().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            if (values.length == 0) {
                continue;
            }
            g.setColor(COLORS[i % COLORS.length]);
            int lastX = LEFT;
            int lastY = TOP + plotHeight;
            for (int k = 0; k < values.length; k++) {
                double ms = Math.max(minMs, values[k]);
                int x = LEFT + (int) (plotWidth * Math.log(ms / minMs) / Math.log(maxMs / minMs));
                int y = TOP + plotHeight - (int) ((double) plotHeight * (k + 1) / values.length);
                g.drawLine(lastX, lastY, x, lastY);
                g.drawLine(x, lastY, x, y);
                lastX = x;
                lastY = y;
            }
            int ly = TOP + 10 + 20 * legend++;
            g.drawLine(WIDTH - RIGHT + 15, ly, WIDTH - RIGHT + 40, ly);
            g.setColor(Color.BLACK);
            g.drawString(r.scenario().name() + " (p50 " + Report.ms(r.handoff().p50()) + ")", WIDTH - RIGHT + 45, ly + 4);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }
}
