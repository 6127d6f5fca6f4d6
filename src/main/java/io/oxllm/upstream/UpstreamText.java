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
   * A secret this long or longer is replaced (an api_key, a header value's word: a token after
   * "Bearer", an x-api-key); shorter ones are not worth making text unreadable for: a header's
   * "2023-06-01" is 10, and a placeholder key for a local server ("x", "EMPTY") is no secret, where
   * an api_key "e" turned every "e" of an upstream's error into [redacted] (an audit).
   */
  static final int MIN_SECRET = 8;

  private UpstreamText() {}

  /**
   * {@code text} with {@code provider}'s secrets replaced, in any letter case (a decoder may
   * upper-case what it quotes), its control characters as spaces, then cut to {@link #MAX}. A
   * line break, a NUL or a terminal's escape sequence from an upstream has no place in an error
   * message a client prints, nor in a log line (an audit saw ANSI escapes reach a 502's message).
   */
  public static String of(String text, ProviderConfig provider) {
    String clean = withoutControls(text);
    for (String secret : secrets(provider)) {
      clean = replaceIgnoringCase(clean, secret);
    }
    if (clean.length() <= MAX) {
      return clean;
    }
    int cut = Character.isHighSurrogate(clean.charAt(MAX - 1)) ? MAX - 1 : MAX; // a pair stays whole
    return clean.substring(0, cut);
  }

  private static String withoutControls(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        char[] chars = text.toCharArray();
        for (int k = i; k < chars.length; k++) {
          if (Character.isISOControl(chars[k])) {
            chars[k] = ' ';
          }
        }
        return new String(chars);
      }
    }
    return text; // the usual case: nothing to copy
  }

  private static String replaceIgnoringCase(String text, String secret) {
    StringBuilder out = null;
    int plain = 0;
    for (int i = 0; i + secret.length() <= text.length(); i++) {
      if (text.regionMatches(true, i, secret, 0, secret.length())) {
        out = (out == null ? new StringBuilder(text.length()) : out).append(text, plain, i).append(REDACTED);
        i += secret.length() - 1;
        plain = i + 1;
      }
    }
    return out == null ? text : out.append(text, plain, text.length()).toString();
  }

  /** The provider's secrets of at least {@link #MIN_SECRET} characters, the longest first, so that one holding another is replaced whole. */
  static List<String> secrets(ProviderConfig provider) {
    List<String> secrets = new ArrayList<>();
    if (provider.apiKey() != null && provider.apiKey().length() >= MIN_SECRET) {
      secrets.add(provider.apiKey());
    }
    for (String value : provider.headers().values()) {
      for (String word : value.strip().split("\\s+")) {
        if (word.length() >= MIN_SECRET) {
          secrets.add(word);
        }
      }
    }
    secrets.sort((a, b) -> b.length() - a.length());
    return secrets;
  }
}
