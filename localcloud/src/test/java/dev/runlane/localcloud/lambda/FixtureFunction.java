package dev.runlane.localcloud.lambda;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A tiny function.zip built at test time: one RequestStreamHandler whose behaviour the event selects
 * ({@code sleep:MS}, {@code fail:MESSAGE}, {@code exit}, {@code put:TABLE:ID,ID,...} puts each item in order into
 * DynamoDB at AWS_ENDPOINT_URL); every answer echoes the event with the sandbox's pid and the request id.
 * FIXTURE_INIT_PUT ({@code TABLE:ID}) makes INIT put an item.
 * It starts in well under a second, so the sandbox tests do not depend on the functions module.
 */
public final class FixtureFunction {
    public static final String HANDLER = "fixture.Handler::handleRequest";

    private static final String SOURCE = """
            package fixture;

            import com.amazonaws.services.lambda.runtime.Context;
            import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
            import java.io.*;
            import java.net.URI;
            import java.net.http.HttpClient;
            import java.net.http.HttpRequest;
            import java.net.http.HttpResponse;
            import java.nio.charset.StandardCharsets;

            public class Handler implements RequestStreamHandler {
                static {
                    if ("true".equals(System.getenv("FIXTURE_INIT_FAIL"))) {
                        throw new IllegalStateException("init failed on purpose");
                    }
                    String initPut = System.getenv("FIXTURE_INIT_PUT");
                    if (initPut != null) {
                        put(initPut.split(":")[0], initPut.split(":")[1]);
                    }
                }

                /** A PutItem as an SDK sends it, signed (moto checks no signature) with the sandbox's access key. */
                static void put(String table, String id) {
                    HttpRequest request = HttpRequest.newBuilder(URI.create(System.getenv("AWS_ENDPOINT_URL") + "/"))
                            .header("Content-Type", "application/x-amz-json-1.0")
                            .header("X-Amz-Target", "DynamoDB_20120810.PutItem")
                            .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + System.getenv("AWS_ACCESS_KEY_ID")
                                    + "/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\\"TableName\\":\\"" + table + "\\",\\"Item\\":{\\"id\\":{\\"S\\":\\"" + id + "\\"}}}"))
                            .build();
                    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                        int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                        if (status != 200) {
                            throw new IllegalStateException("PutItem " + id + " answered " + status);
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new IllegalStateException("PutItem " + id + " failed", e);
                    }
                }

                public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
                    String input = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    System.out.println("fixture got " + input);
                    if (input.startsWith("sleep:")) {
                        try { Thread.sleep(Long.parseLong(input.substring(6))); } catch (InterruptedException e) { throw new IOException(e); }
                    } else if (input.startsWith("fail:")) {
                        throw new IllegalArgumentException(input.substring(5));
                    } else if (input.equals("exit")) {
                        Runtime.getRuntime().halt(3);
                    } else if (input.startsWith("put:")) {
                        String[] args = input.split(":", 3);
                        for (String id : args[2].split(",")) {
                            put(args[1], id);
                        }
                    }
                    String echo = input.replace("\\\\", "").replace("\\"", "'");
                    out.write(("{\\"pid\\":" + ProcessHandle.current().pid() + ",\\"echo\\":\\"" + echo
                            + "\\",\\"function\\":\\"" + context.getFunctionName() + "\\",\\"requestId\\":\\"" + context.getAwsRequestId()
                            + "\\",\\"remainingMs\\":" + context.getRemainingTimeInMillis() + "}").getBytes(StandardCharsets.UTF_8));
                }
            }
            """;

    private FixtureFunction() {
    }

    /** Compiles the handler against aws-lambda-java-core and zips it as a function.zip (classes at the root). */
    public static Path build(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/fixture"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Files.writeString(src.resolve("Handler.java"), SOURCE);
        String core = Path.of(jarOf("com/amazonaws/services/lambda/runtime/Context.class")).toString();
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int rc = compiler.run(null, null, null, "--release", "21", "-cp", core, "-d", classes.toString(),
                src.resolve("Handler.java").toString());
        if (rc != 0) {
            throw new IllegalStateException("fixture function does not compile");
        }
        Path zip = dir.resolve("function.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Path file : Files.walk(classes).filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new ZipEntry(classes.relativize(file).toString()));
                Files.copy(file, (OutputStream) out);
                out.closeEntry();
            }
        }
        return zip;
    }

    public static FunctionSpec spec(Path zip, String name, int timeoutSeconds, Map<String, String> env) {
        return new FunctionSpec(name, "arn:aws:lambda:us-east-1:123456789012:function:" + name, zip, HANDLER, env,
                timeoutSeconds, 256);
    }

    private static java.net.URI jarOf(String resource) {
        String url = FixtureFunction.class.getClassLoader().getResource(resource).toString();
        return java.net.URI.create(url.substring("jar:".length(), url.indexOf("!/")));
    }
}
