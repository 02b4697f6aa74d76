package dev.runlane.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.joda.JodaModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import dev.runlane.handlers.LambdaJson;

/**
 * The ObjectMapper with which the Quarkus Lambda runtime reads a handler's event and writes its result,
 * rebuilt without Quarkus: quarkus-jackson's application ObjectMapper (its default quarkus.jackson.*
 * settings and modules, runlane's {@link LambdaJson} customizer), copied and configured as
 * io.quarkus.amazon.lambda.runtime.AmazonLambdaMapperRecorder#initObjectMapper does (unknown properties
 * ignored, property names case-insensitive, Joda). Left out: that recorder's DateModule (java.util.Date,
 * which no runlane event or result has).
 */
public final class LambdaMapper {
    public static final ObjectMapper MAPPER = create();

    private LambdaMapper() {
    }

    @SuppressWarnings("deprecation") // MapperFeature via configure(), as the recorder does
    private static ObjectMapper create() {
        ObjectMapper application = new ObjectMapper()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                .registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule())
                .registerModule(new ParameterNamesModule());
        new LambdaJson().customize(application);
        return application.copy()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES, true)
                .registerModule(new JodaModule());
    }
}
