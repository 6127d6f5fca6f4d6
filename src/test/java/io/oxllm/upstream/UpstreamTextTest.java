package io.oxllm.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.oxllm.config.ProviderConfig;
import io.oxllm.config.ProviderType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An upstream's words as the gateway repeats them: no secret of the provider's, at most 200 characters. */
class UpstreamTextTest {
  private static ProviderConfig provider(String apiKey, Map<String, String> headers) {
    return new ProviderConfig("p", ProviderType.OPENAI, null, apiKey, List.of(), true, headers, 1, null, null);
  }

  @Test
  void theApiKeyIsRedactedInAnyCase() {
    assertEquals("Invalid API key: Bearer [redacted].", UpstreamText.of("Invalid API key: Bearer sk-abc123.", provider("sk-abc123", Map.of())));
    // a decoder upper-cased the token it quoted (an audit: "invalid version format: SK-…")
    assertEquals("invalid version format: [redacted]", UpstreamText.of("invalid version format: SK-ABC123", provider("sk-abc123", Map.of())));
    assertEquals("no key here", UpstreamText.of("no key here", provider("", Map.of())));
  }

  @Test
  void aKeyShorterThanEightCharactersIsAPlaceholderAndLeftAlone() {
    // an api_key "e" made every "e" of an upstream's error [redacted] (an audit); "x" and "EMPTY"
    // are what local servers are given, not secrets
    assertEquals("{\"error\":{\"message\":\"bad request\"}}", UpstreamText.of("{\"error\":{\"message\":\"bad request\"}}", provider("e", Map.of())));
    assertEquals("key EMPTY refused", UpstreamText.of("key EMPTY refused", provider("EMPTY", Map.of())));
    assertEquals("key [redacted] refused", UpstreamText.of("key 12345678 refused", provider("12345678", Map.of())));
  }

  @Test
  void aHeaderValuesLongWordsAreRedactedItsShortOnesKept() {
    ProviderConfig p = provider("", Map.of("Authorization", "Bearer tok-0123456789", "anthropic-version", "2023-06-01",
        "x-flag", "on"));
    assertEquals("bad [redacted] (sent Bearer [redacted]), version [redacted], flag on",
        UpstreamText.of("bad tok-0123456789 (sent Bearer tok-0123456789), version 2023-06-01, flag on", p));
  }

  @Test
  void aSecretHoldingAnotherIsReplacedWhole() {
    ProviderConfig p = provider("sk-12345678", Map.of("x-key", "sk-12345678-extended"));
    assertEquals("[redacted] and [redacted]", UpstreamText.of("sk-12345678-extended and sk-12345678", p));
  }

  @Test
  void theTextIsCutTo200AfterTheSecretsAreGoneSoNoneIsCutInHalf() {
    String key = "sk-" + "k".repeat(40);
    String text = "e".repeat(180) + key + " and more of the message";
    String out = UpstreamText.of(text, provider(key, Map.of()));
    assertEquals(("e".repeat(180) + "[redacted] and more of the message").substring(0, UpstreamText.MAX), out);
    String pairAtTheCut = "a".repeat(UpstreamText.MAX - 1) + "\uD83D\uDE00";
    assertEquals("a".repeat(UpstreamText.MAX - 1), UpstreamText.of(pairAtTheCut, provider("", Map.of())));
  }
}
