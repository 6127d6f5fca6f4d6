package io.oxllm.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte searches that replace a JSON parse on the mock's hot path. */
class BodySnifferTest {
  private static BodySniffer of(String json) {
    return new BodySniffer(Buffer.buffer(json));
  }

  @Test
  void streamTrueWithAnyWhitespace() {
    assertTrue(of("{\"stream\":true}").isTrue(BodySniffer.STREAM));
    assertTrue(of("{\"a\":1, \"stream\" :\n\ttrue }").isTrue(BodySniffer.STREAM));
    assertFalse(of("{\"stream\":false}").isTrue(BodySniffer.STREAM));
    assertFalse(of("{\"stream_options\":{\"include_usage\":true}}").isTrue(BodySniffer.STREAM));
    assertFalse(of("{\"content\":\"stream\",\"x\":true}").isTrue(BodySniffer.STREAM), "a value, not a key");
    assertFalse(of("{\"content\":\"say \\\"stream\\\": true\"}").isTrue(BodySniffer.STREAM), "inside a string");
    assertTrue(of("{\"content\":\"stream\",\"stream\":true}").isTrue(BodySniffer.STREAM));
    assertFalse(of("{\"stream\":").isTrue(BodySniffer.STREAM));
  }

  @Test
  void includeUsageAndBase64() {
    assertTrue(of("{\"stream_options\": {\"include_usage\": true}}").isTrue(BodySniffer.INCLUDE_USAGE));
    assertTrue(of("{\"encoding_format\" : \"base64\"}").isBase64(BodySniffer.ENCODING_FORMAT));
    assertFalse(of("{\"encoding_format\":\"float\"}").isBase64(BodySniffer.ENCODING_FORMAT));
  }

  @Test
  void modelIsTakenRawWithEscapes() {
    assertEquals("gpt-4o", text(of("{\"model\" : \"gpt-4o\",\"stream\":true}").rawString(BodySniffer.MODEL)));
    assertEquals("a\\\"b", text(of("{\"model\":\"a\\\"b\"}").rawString(BodySniffer.MODEL)));
    assertNull(of("{\"model\":42}").rawString(BodySniffer.MODEL));
    assertNull(of("{\"model\":\"\"}").rawString(BodySniffer.MODEL));
    assertNull(of("{\"model\":\"unterminated").rawString(BodySniffer.MODEL));
    assertNull(of("{\"model\":\"a\nb\"}").rawString(BodySniffer.MODEL), "a raw newline would break an SSE line");
    assertNull(of("{\"model\":\"" + "m".repeat(300) + "\"}").rawString(BodySniffer.MODEL));
    assertNull(of("{}").rawString(BodySniffer.MODEL));
  }

  @Test
  void readsASliceInPlace() {
    Buffer whole = Buffer.buffer("xxxx{\"stream\":true}");
    assertTrue(new BodySniffer(whole.slice(4, whole.length())).isTrue(BodySniffer.STREAM));
    assertFalse(new BodySniffer(whole.slice(0, 10)).isTrue(BodySniffer.STREAM));
  }

  private static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
