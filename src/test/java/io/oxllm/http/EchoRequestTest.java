package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class EchoRequestTest {

  @Test
  void readsTheEchosFieldsAsVertxWouldAndSkipsTheRest() throws Exception {
    String body = "{\"model\":\"echo\",\"metadata\":{\"messages\":\"not these\",\"k\":[1,2,{\"x\":null}]},"
        + "\"messages\":[{\"role\":\"system\",\"content\":\"sé\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"hi 😀\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}],\"temperature\":0.25,"
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"prompt\":[\"a\",[1,2]],\"input\":null,"
        + "\"encoding_format\":\"base64\",\"n\":12345678901234567890}";
    JsonObject whole = new JsonObject(body);
    JsonObject expected = new JsonObject();
    for (String name : new String[] {"messages", "prompt", "input", "encoding_format", "stream", "stream_options"}) {
      expected.put(name, whole.getValue(name));
    }
    JsonObject read = EchoRequest.read(Buffer.buffer(body));
    assertEquals(expected, read);
    assertEquals("hi 😀", read.getJsonArray("messages").getJsonObject(1).getJsonArray("content")
        .getJsonObject(0).getString("text"));
    assertEquals(true, read.getJsonObject("stream_options").getBoolean("include_usage"));
  }
}
