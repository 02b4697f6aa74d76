package dev.runlane.runs;

import dev.runlane.domain.RefusedException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StartRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void acceptsHostedAndDesktopRuns() throws Exception {
        StartRequest hosted = StartRequest.of(JSON.readTree("{\"target\":\"hosted\",\"input\":{\"agent\":\"echo\"}}"));
        assertEquals(Target.HOSTED, hosted.target());
        assertNull(hosted.daemonId());
        StartRequest desktop = StartRequest.of(JSON.readTree("{\"target\":\"desktop\",\"input\":{},\"daemonId\":\"laptop-1\"}"));
        assertEquals(Target.DESKTOP, desktop.target());
        assertEquals("laptop-1", desktop.daemonId());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "[]                                                            | InvalidBody",
            "\"run\"                                                       | InvalidBody",
            "{}                                                            | InvalidTarget",
            "{\"target\":\"cloud\",\"input\":{}}                           | InvalidTarget",
            "{\"target\":1,\"input\":{}}                                   | InvalidTarget",
            "{\"target\":\"HOSTED\",\"input\":{}}                          | InvalidTarget",
            "{\"target\":\"hosted\"}                                       | InvalidInput",
            "{\"target\":\"hosted\",\"input\":[1]}                         | InvalidInput",
            "{\"target\":\"hosted\",\"input\":\"x\"}                       | InvalidInput",
            "{\"target\":\"hosted\",\"input\":{},\"daemonId\":\"d1\"}      | InvalidDaemonId",
            "{\"target\":\"desktop\",\"input\":{}}                         | InvalidDaemonId",
            "{\"target\":\"desktop\",\"input\":{},\"daemonId\":\"../x\"}   | InvalidDaemonId",
            "{\"target\":\"desktop\",\"input\":{},\"daemonId\":\"\"}       | InvalidDaemonId",
            "{\"target\":\"desktop\",\"input\":{},\"daemonId\":7}          | InvalidDaemonId",
            "{\"target\":\"hosted\",\"input\":{},\"priority\":1}           | UnknownField"})
    void refusesBadRequestsWithAReason(String body, String code) throws Exception {
        RefusedException refused = assertThrows(RefusedException.class, () -> StartRequest.of(JSON.readTree(body)));
        assertEquals(RefusedException.Kind.INVALID, refused.kind());
        assertEquals(code, refused.code());
    }
}
