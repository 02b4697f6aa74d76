package dev.runlane.localcloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runlane.localcloud.faults.Fault;
import dev.runlane.localcloud.faults.Faults;
import dev.runlane.localcloud.faults.InvalidFaultException;
import dev.runlane.localcloud.template.Stack;
import dev.runlane.localcloud.template.TemplateLoader;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Faults name the template's functions as a user knows them: logical id, physical name or ARN. */
class LocalCloudFaultsTest {
    private final Stack stack = TemplateLoader.load(Repo.template(), Map.of(), URI.create("http://127.0.0.1:4566"));
    private final Faults faults = new Faults(name -> LocalCloud.functionNamed(stack, name), line -> { });

    @Test
    void aFunctionIsNamedByLogicalIdNameOrArn() {
        Stack.Function dispatch = stack.functions().stream().filter(f -> f.logicalId().equals("HostedDispatchFunction")).findFirst().orElseThrow();
        for (String name : new String[] {"HostedDispatchFunction", dispatch.name(), dispatch.arn(), dispatch.arn() + ":live"}) {
            assertEquals(dispatch.name(), faults.add(Fault.kill(name, 1)).fault().function(), name);
        }
    }

    @Test
    void anUnknownFunctionIsRefusedWithTheTemplatesFunctions() {
        var e = assertThrows(InvalidFaultException.class, () -> faults.add(Fault.throttle("HostedDispatch", 1)));
        assertTrue(e.getMessage().contains("unknown function 'HostedDispatch'") && e.getMessage().contains("HostedDispatchFunction"),
                e.getMessage());
    }
}
