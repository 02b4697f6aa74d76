package dev.runlane.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of the LocalStack deployment that need no Docker: packaging the template, the API's URL. */
class LocalStackStackTest {

    @Test
    void theRepositoryTemplateIsPackagedWithItsArtifactsInS3(@TempDir Path root) throws IOException {
        // The repository's template, in a root with stand-ins for its two artifacts.
        String template = Files.readString(E2eStack.repositoryRoot().resolve("template.yaml"));
        Files.createDirectories(root.resolve("functions/target"));
        Files.writeString(root.resolve("functions/target/function.zip"), "zip");
        Files.createDirectories(root.resolve("statemachines"));
        Files.writeString(root.resolve("statemachines/run.asl.json"), "{}");
        Map<String, Path> uploads = new LinkedHashMap<>();

        String packaged = LocalStackStack.packaged(root, template, uploads::put);

        assertEquals(Map.of("functions/target/function.zip", root.resolve("functions/target/function.zip"),
                "statemachines/run.asl.json", root.resolve("statemachines/run.asl.json")), uploads);
        assertTrue(packaged.contains("CodeUri: s3://" + LocalStackStack.BUCKET + "/functions/target/function.zip"), packaged);
        assertTrue(packaged.contains("DefinitionUri: s3://" + LocalStackStack.BUCKET + "/statemachines/run.asl.json"), packaged);
        assertFalse(packaged.matches("(?s).*(CodeUri|DefinitionUri): (?!s3://).*"), "no local artifact left");
        assertTrue(packaged.contains("Transform: AWS::Serverless-2016-10-31"));
        assertEquals(template.lines().count(), packaged.lines().count(), "only those lines change");
    }

    @Test
    void packagingLeavesS3UrisAndIntrinsicsAloneAndRefusesAMissingArtifact(@TempDir Path root) {
        String template = """
                Resources:
                  A:
                    Properties:
                      CodeUri: s3://elsewhere/a.zip
                      DefinitionUri: !Sub "s3://${Bucket}/b.json"
                """;
        assertEquals(template, LocalStackStack.packaged(root, template, (key, file) -> {
            throw new AssertionError("nothing to upload");
        }));
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> LocalStackStack.packaged(root, "    CodeUri: build/missing.zip\n", (key, file) -> {}));
        assertTrue(missing.getMessage().contains("build/missing.zip"), missing.getMessage());
    }

    @Test
    void theApiUrlOutputBecomesLocalStacksExecuteApiHost() {
        URI api = LocalStackStack.apiUri(URI.create("https://a1b2c3d4.execute-api.us-east-1.amazonaws.com"), "localhost", 49153);
        assertEquals(URI.create("http://a1b2c3d4.execute-api.localhost.localstack.cloud:49153"), api);
        assertThrows(IllegalStateException.class,
                () -> LocalStackStack.apiUri(URI.create("https://example.com"), "localhost", 49153));
    }
}
