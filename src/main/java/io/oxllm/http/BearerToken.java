package io.oxllm.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;

/** {@code Authorization: Bearer <token>} checks for the API keys and the admin token. */
public final class BearerToken {
  private BearerToken() {}

  /**
   * Whether the header carries one of {@code tokens}. Every token is compared, each in constant
   * time, so response timing reveals neither a token's prefix nor which token matched.
   */
  public static boolean matchesAny(String authorization, Collection<String> tokens) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (String token : tokens) {
      ok |= MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
    }
    return ok;
  }
}
