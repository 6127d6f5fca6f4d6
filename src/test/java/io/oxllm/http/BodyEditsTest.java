package io.oxllm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Edits make a body of slices of the original and the new bytes; the original stays whole for a
 * later attempt after an edited body was written as Vert.x writes it (its view read, then released).
 */
class BodyEditsTest {
  @Test
  void editsApplyWithoutTouchingTheOriginalEvenAfterTheEditedBodyIsReleased() {
    check("");
    check("x".repeat(BodyEdits.SLICED_FROM_BYTES)); // sliced, not copied
  }

  private static void check(String padding) {
    String json = "{\"model\":\"v\",\"stream\":true,\"pad\":\"" + padding + "\"}";
    Buffer raw = Buffer.buffer(json);
    int model = json.indexOf("\"v\"");
    for (String upstream : new String[] {"first-model", "second"}) {
      Buffer edited = new BodyEdits()
          .insert(json.length() - 1, ",\"stream_options\":{\"include_usage\":true}".getBytes(StandardCharsets.UTF_8))
          .replace(model, model + 3, ("\"" + upstream + "\"").getBytes(StandardCharsets.UTF_8))
          .applyTo(raw);
      assertEquals("{\"model\":\"" + upstream + "\",\"stream\":true,\"pad\":\"" + padding
          + "\",\"stream_options\":{\"include_usage\":true}}", edited.toString(StandardCharsets.UTF_8));
      ByteBuf sent = ((BufferInternal) edited).getByteBuf();
      sent.skipBytes(sent.readableBytes()); // what a write does with it
      sent.release(); // Vert.x writes this view, and Netty releases it once written
      assertEquals(json, raw.toString(StandardCharsets.UTF_8), "the original, for the next attempt");
    }
    assertEquals(raw.toString(StandardCharsets.UTF_8), new BodyEdits().applyTo(raw).toString(StandardCharsets.UTF_8));
  }
}
