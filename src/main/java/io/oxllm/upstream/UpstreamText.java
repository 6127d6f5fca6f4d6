package io.oxllm.upstream;

import io.oxllm.config.ProviderConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * An upstream's own words, as the gateway repeats them in the request log and in a 502's message
 * (an error event's or an error body's message): without the provider's secrets, and at most
 * {@link #MAX} characters. An upstream may quote what it was sent ("Invalid API key: Bearer sk-…"),
 * and the SPEC says a key is never logged nor shown (section 2, section 7).
 */
public final class UpstreamText {
  /** The most of an upstream's message repeated. */
  public static final int MAX = 200;
  static final String REDACTED = "[redacted]";
  /**
   * A header value's word this long or longer counts as a secret (a token after "Bearer", an
   * x-api-key); shorter ones ("2023-06-01" is 10) are not worth making the message unreadable for.
   */
  static final int MIN_HEADER_SECRET = 8;

  private UpstreamText() {}

  /** {@code text} with {@code provider}'s api_key and header values' long words replaced, then cut to {@link #MAX}. */
  public static String of(String text, ProviderConfig provider) {
    String clean = text;
    for (String secret : secrets(provider)) {
      clean = clean.replace(secret, REDACTED);
    }
    if (clean.length() <= MAX) {
      return clean;
    }
    int cut = Character.isHighSurrogate(clean.charAt(MAX - 1)) ? MAX - 1 : MAX; // a pair stays whole
    return clean.substring(0, cut);
  }

  /** The longest first, so that a value holding another is replaced whole. */
  static List<String> secrets(ProviderConfig provider) {
    List<String> secrets = new ArrayList<>();
    if (provider.hasApiKey()) {
      secrets.add(provider.apiKey()); // whatever its length: it is the key
    }
    for (String value : provider.headers().values()) {
      for (String word : value.strip().split("\\s+")) {
        if (word.length() >= MIN_HEADER_SECRET) {
          secrets.add(word);
        }
      }
    }
    secrets.sort((a, b) -> b.length() - a.length());
    return secrets;
  }
}
