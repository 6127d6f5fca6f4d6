package io.oxllm.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.oxllm.config.ProviderConfig;
import io.oxllm.config.ProviderType;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An error body with the provider's secrets replaced, however the chunks split it. */
class SecretScrubTest {
  private static final String KEY = "sk-live-0123456789abcdef";

  private static ProviderConfig provider(String apiKey, Map<String, String> headers) {
    return new ProviderConfig("p", ProviderType.OPENAI, null, apiKey, List.of(), true, headers, 1, null, null);
  }

  /** {@code body} through a scrub, cut into chunks at {@code cuts}. */
  private static String scrubbed(ProviderConfig p, String body, int... cuts) {
    SecretScrub scrub = SecretScrub.of(p);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Buffer out = Buffer.buffer();
    int from = 0;
    for (int cut : cuts) {
      out.appendBuffer(scrub.next(Buffer.buffer().appendBytes(bytes, from, cut - from)));
      from = cut;
    }
    out.appendBuffer(scrub.next(Buffer.buffer().appendBytes(bytes, from, bytes.length - from)));
    return out.appendBuffer(scrub.rest()).toString(StandardCharsets.UTF_8);
  }

  @Test
  void aKeySplitAtEveryPointIsReplaced() {
    String body = "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + ". Check it.\"}}";
    String expected = body.replace(KEY, "[redacted]");
    for (int cut = 0; cut <= body.length(); cut++) {
      assertEquals(expected, scrubbed(provider(KEY, Map.of()), body, cut), "cut at " + cut);
    }
    for (int cut = 1; cut < body.length(); cut++) {
      assertEquals(expected, scrubbed(provider(KEY, Map.of()), body, cut - 1, cut), "one-byte chunk at " + cut);
    }
  }

  @Test
  void everySecretEveryTimeTheLongestFirst() {
    ProviderConfig p = provider("sk-12345678", Map.of("x-key", "sk-12345678-extended", "version", "2023-06-01"));
    String body = "sk-12345678-extended, sk-12345678, sk-12345678sk-12345678, 2023-06-01";
    assertEquals("[redacted], [redacted], [redacted][redacted], [redacted]", scrubbed(p, body, 7, 30));
  }

  @Test
  void aKeyInAnotherLetterCaseIsReplacedToo() {
    String body = "key " + KEY.toUpperCase(java.util.Locale.ROOT) + " refused";
    assertEquals("key [redacted] refused", scrubbed(provider(KEY, Map.of()), body, 9));
  }

  @Test
  void aBodyWithoutSecretsComesOutAsItWent() {
    String body = "{\"error\":\"bad request\"} ünïcödé " + "x".repeat(5000);
    assertEquals(body, scrubbed(provider(KEY, Map.of()), body, 3, 40, 4000));
    assertEquals("", scrubbed(provider(KEY, Map.of()), ""));
  }

  @Test
  void whatWaitsIsLessThanTheLongestSecret() {
    SecretScrub scrub = SecretScrub.of(provider(KEY, Map.of()));
    Buffer out = scrub.next(Buffer.buffer("y".repeat(1000)));
    assertTrue(out.length() >= 1000 - (KEY.length() - 1), "held back " + (1000 - out.length()));
  }

  @Test
  void aProviderWithoutSecretsNeedsNoScrub() {
    assertNull(SecretScrub.of(provider("", Map.of("x-flag", "on"))));
    assertNull(SecretScrub.of(provider("e", Map.of())), "a placeholder key is no secret");
  }
}
