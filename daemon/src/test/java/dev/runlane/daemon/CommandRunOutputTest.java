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
    void aProgressLineIsJsonWhenItParsesElseTextCutToItsLimit() throws Exception {
        assertEquals(JSON.readTree("{\"json\":{\"token\":1}}"), CommandRun.progressData("{\"token\": 1}"));
        assertEquals(JSON.readTree("{\"json\":[1,null]}"), CommandRun.progressData(" [1, null] "));
        assertEquals(JSON.readTree("{\"line\":\"step 1 of 3\"}"), CommandRun.progressData("step 1 of 3"));
        assertEquals(JSON.readTree("{\"line\":\"\"}"), CommandRun.progressData(""));
        String longJson = "[\"" + "a".repeat(CommandRun.MAX_PROGRESS_LINE_CHARS) + "\"]";
        assertEquals(longJson.substring(0, CommandRun.MAX_PROGRESS_LINE_CHARS),
                CommandRun.progressData(longJson).get("line").textValue(), "a cut line is no longer JSON: text");
    }

    @Test
    void logLinesStayOneLine() {
        assertEquals("a\\nb\\r\\tc\\u0007", Log.oneLine("a\nb\r\tc\u0007"));
    }
}
