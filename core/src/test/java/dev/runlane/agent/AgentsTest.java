package dev.runlane.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runlane.domain.RefusedException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBuiltInAgentsAreFoundByTheirNameAndARunNamingNoneGetsTheDefault() throws Exception {
        Agents agents = Agents.load("simulated");
        assertInstanceOf(EchoAgent.class, agents.forInput(JSON.readTree("{\"agent\":\"echo\"}")));
        assertInstanceOf(SimulatedAgent.class, agents.forInput(JSON.readTree("{}")));
        assertInstanceOf(SimulatedAgent.class, agents.forInput(JSON.readTree("{\"agent\":null}")));
    }

    @Test
    void anAgentNoModuleBringsIsRefused400WithTheNamesThereAre() throws Exception {
        Agents agents = Agents.load(Agents.ECHO);
        for (String input : List.of("{\"agent\":\"gpt\"}", "{\"agent\":7}", "{\"agent\":{\"name\":\"echo\"}}")) {
            RefusedException refused = assertThrows(RefusedException.class, () -> agents.forInput(JSON.readTree(input)), input);
            assertEquals("UnknownAgent", refused.code());
            assertEquals(RefusedException.Kind.INVALID, refused.kind());
            assertTrue(refused.getMessage().contains("echo, simulated"), refused.getMessage());
        }
    }

    @Test
    void twoAgentsOfOneNameOrADefaultThatIsNoneOfThemStopTheFunctionAtStartUp() {
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> Agents.of(List.of(new EchoAgent(), new Named("echo")), "echo"));
        assertTrue(twice.getMessage().contains("two agents are named 'echo'"), twice.getMessage());
        IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> Agents.load("gpt"));
        assertTrue(unknown.getMessage().contains("the default agent 'gpt' (DefaultAgent) is none"), unknown.getMessage());
    }

    private record Named(String name) implements Agent {
        @Override
        public JsonNode run(AgentContext context) {
            return context.input();
        }
    }
}
