package io.oxllm.upstream;

import io.oxllm.config.ProviderConfig;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * An upstream's error body on its way to the client, with the provider's secrets (its api_key,
 * its headers' long words: {@link UpstreamText}) replaced by {@value UpstreamText#REDACTED} in any
 * letter case, chunk by chunk: some servers quote the key they were sent ("Invalid API key: sk-…"), and the SPEC says
 * a key is never shown (section 6). Holds back at most the longest secret's length less one byte,
 * where a secret split between two chunks may begin. Error bodies only: it copies, so the answers
 * a request exists for do not pay for it.
 */
public final class SecretScrub {
  private static final byte[] REDACTED = UpstreamText.REDACTED.getBytes(StandardCharsets.US_ASCII);
  private final byte[][] secrets; // longest first, so one holding another is replaced whole
  private final int keep;
  private byte[] carry = new byte[0];

  private SecretScrub(List<String> secrets) {
    this.secrets = new byte[secrets.size()][];
    for (int i = 0; i < secrets.size(); i++) {
      this.secrets[i] = secrets.get(i).getBytes(StandardCharsets.UTF_8);
    }
    this.keep = this.secrets[0].length - 1;
  }

  /** A scrub for {@code provider}'s secrets, or null when it has none. */
  public static SecretScrub of(ProviderConfig provider) {
    List<String> secrets = UpstreamText.secrets(provider);
    return secrets.isEmpty() ? null : new SecretScrub(secrets);
  }

  /** What of the body so far can go out now, scrubbed; the tail a secret may begin in waits. */
  public Buffer next(Buffer chunk) {
    byte[] data = new byte[carry.length + chunk.length()];
    System.arraycopy(carry, 0, data, 0, carry.length);
    chunk.getBytes(data, carry.length);
    return scrub(data, data.length - keep);
  }

  /** The body has ended: what waited, scrubbed. */
  public Buffer rest() {
    return scrub(carry, carry.length);
  }

  /** Scrubs {@code data} from its start up to {@code until} (a secret may run on past it); keeps the rest. */
  private Buffer scrub(byte[] data, int until) {
    Buffer out = Buffer.buffer(Math.max(0, until));
    int i = 0;
    int plain = 0; // start of the bytes not yet copied out
    while (i < until) {
      byte[] found = secretAt(data, i);
      if (found == null) {
        i++;
        continue;
      }
      out.appendBytes(data, plain, i - plain).appendBytes(REDACTED);
      i += found.length;
      plain = i;
    }
    int end = Math.max(plain, Math.min(i, data.length));
    out.appendBytes(data, plain, end - plain);
    carry = Arrays.copyOfRange(data, end, data.length);
    return out;
  }

  private byte[] secretAt(byte[] data, int at) {
    for (byte[] s : secrets) {
      if (at + s.length <= data.length && sameIgnoringCase(data, at, s)) {
        return s;
      }
    }
    return null;
  }

  /** Secrets are visible ASCII (config validation), so ASCII's letter case is all there is to ignore. */
  private static boolean sameIgnoringCase(byte[] data, int at, byte[] secret) {
    for (int k = 0; k < secret.length; k++) {
      byte a = data[at + k];
      byte b = secret[k];
      if (a != b && lower(a) != lower(b)) {
        return false;
      }
    }
    return true;
  }

  private static int lower(byte b) {
    return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
  }
}
