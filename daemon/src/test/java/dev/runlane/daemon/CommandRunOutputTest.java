package dev.runlane.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommandRunOutputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theLastLineIsJsonWhenItParsesElseAString() throws Exception {
        assertEquals(JSON.readTree("{\"a\":[1,2]}"), CommandRun.output("{\"a\": [1, 2]}"));
        assertEquals(JSON.readTree("42"), CommandRun.output("42"));
        assertEquals(JSON.readTree("\"quoted\""), CommandRun.output("\"quoted\""));
        assertEquals(JSON.readTree("true"), CommandRun.output(" true "));
        assertEquals(TextNode.valueOf("done"), CommandRun.output("done"));
        assertEquals(TextNode.valueOf("{\"a\":1} trailing"), CommandRun.output("{\"a\":1} trailing"));
        assertEquals(TextNode.valueOf("{broken"), CommandRun.output("{broken"));
        assertEquals(TextNode.valueOf(""), CommandRun.output(""));
        assertEquals(NullNode.instance, CommandRun.output(null));
    }

    @Test
    void logLinesStayOneLine() {
        assertEquals("a\\nb\\r\\tc\\u0007", Log.oneLine("a\nb\r\tc\u0007"));
    }
}
