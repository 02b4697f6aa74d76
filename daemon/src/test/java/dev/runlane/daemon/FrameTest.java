package dev.runlane.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class FrameTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsTheEpochAndCountsAFrameWithoutOneAsEpochEmpty() throws IOException {
        String frame = "{\"frameId\":\"f1\",\"kind\":\"start\",\"runId\":\"r1\",\"threadId\":\"t1\",\"fenceToken\":3";
        Frame withEpoch = Frame.of(JSON.readTree(frame + ",\"epoch\":\"stack-7\"}"));
        assertEquals("stack-7", withEpoch.epoch());
        assertEquals(3, withEpoch.fenceToken());
        assertEquals(FenceBook.NO_EPOCH, Frame.of(JSON.readTree(frame + "}")).epoch());
        assertEquals(FenceBook.NO_EPOCH, Frame.of(JSON.readTree(frame + ",\"epoch\":null}")).epoch());
        assertNull(Frame.of(JSON.readTree(frame + ",\"epoch\":7}")).epoch(), "not a string: the daemon refuses the frame");
    }

    @Test
    void readsTheHeartbeatWindowAndCountsAMissingOrBadOneAsNone() throws IOException {
        String frame = "{\"frameId\":\"f1\",\"kind\":\"start\",\"runId\":\"r1\",\"threadId\":\"t1\",\"fenceToken\":3";
        assertEquals(60, Frame.of(JSON.readTree(frame + ",\"heartbeatSeconds\":60}")).heartbeatSeconds());
        for (String none : new String[] {"}", ",\"heartbeatSeconds\":null}", ",\"heartbeatSeconds\":\"60\"}",
                ",\"heartbeatSeconds\":0}", ",\"heartbeatSeconds\":-5}", ",\"heartbeatSeconds\":1.5}"}) {
            assertEquals(0, Frame.of(JSON.readTree(frame + none)).heartbeatSeconds(), none);
        }
    }

    @Test
    void aRunIsStoppedBeforeTheWindowEndsButNeverBeforeHalfOfIt() {
        assertEquals(java.time.Duration.ofSeconds(55), CommandRun.stopAfter(java.time.Duration.ofSeconds(60), java.time.Duration.ofSeconds(5)));
        assertEquals(java.time.Duration.ofSeconds(8), CommandRun.stopAfter(java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(2)));
        assertEquals(java.time.Duration.ofSeconds(5), CommandRun.stopAfter(java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(30)));
    }
}
