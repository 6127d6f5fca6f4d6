package io.oxllm.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Set;

/**
 * The fields of a request body the echo provider answers from ({@code messages}, {@code prompt},
 * {@code input}, {@code encoding_format}, {@code stream}, {@code stream_options}), read into a
 * {@link JsonObject} with every other top-level value skipped. Decoding the whole body (Vert.x's
 * {@code new JsonObject(buffer)}) built a tree of all of it and interned every field name: a 10 MB
 * body of 800k distinct keys held the event loop for 1.4 to 3.5 s (docs/performance-history.md).
 */
final class EchoRequest {
  private static final Set<String> READ =
      Set.of("messages", "prompt", "input", "encoding_format", "stream", "stream_options");
  // turns the values read into Maps and Lists; the parser is RequestBody's (no interning)
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private EchoRequest() {}

  /** The echo's fields of {@code body}, a JSON object ({@link RequestBody#inspect} made sure). */
  static JsonObject read(Buffer body) throws IOException {
    JsonObject fields = new JsonObject();
    try (JsonParser p = RequestBody.JSON.createParser(body.getBytes())) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("the body must be a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if (READ.contains(name)) {
          fields.put(name, MAPPER.readValue(p, Object.class)); // Vert.x wraps Maps and Lists when read
        } else {
          p.skipChildren();
        }
      }
    }
    return fields;
  }
}
