package io.oxllm.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The echo provider's /embeddings: a fixed-length, L2-normalised vector per input, derived from
 * SHA-256 of the input text (UTF-8) seeding a splitmix64 generator, so equal inputs always give
 * equal vectors on every JVM.
 *
 * <p>Inputs: a string, an array of strings, one array of token ids (one input), or an array of
 * token-id arrays (one input each). A token-id array is hashed by its JSON text ({@code [1,2,3]})
 * and counts one token per id; a string counts one token per word. An empty array is 400, and so
 * is one of more than {@link #MAX_INPUTS} inputs.
 */
final class EchoEmbeddings {
  static final int DIMENSIONS = 16;
  /**
   * OpenAI's own bound on the inputs of one request. Each input is a vector of ~235 bytes of JSON,
   * so without it a 1.2 MB request of 300,000 one-letter inputs became 70 MB, built at once on an
   * event loop, and ended a 256 MB gateway.
   */
  static final int MAX_INPUTS = 2048;

  private EchoEmbeddings() {}

  static EchoResponses.Reply answer(JsonObject body, String model) {
    Object in = body.getValue("input");
    if (in == null) {
      return EchoResponses.missing("input");
    }
    Object fmt = body.getValue("encoding_format");
    if (fmt != null && !(fmt instanceof String)) {
      return EchoResponses.wrongType("encoding_format", "a string", fmt);
    }
    boolean base64;
    if (fmt == null || "float".equals(fmt)) {
      base64 = false;
    } else if ("base64".equals(fmt)) {
      base64 = true;
    } else {
      return EchoResponses.error(400, "Invalid value for 'encoding_format': '" + fmt
          + "'. Supported values are: 'float' and 'base64'.", "encoding_format", "invalid_value");
    }

    List<String> texts = new ArrayList<>();
    int tokens = 0;
    if (in instanceof String s) {
      texts.add(s);
      tokens = EchoResponses.countWords(s);
    } else if (in instanceof JsonArray arr) {
      if (arr.isEmpty()) {
        return EchoResponses.error(400, "'input' must not be empty.", "input", "invalid_value");
      }
      if (allNumbers(arr)) { // a single input given as token ids
        texts.add(arr.encode());
        tokens = arr.size();
      } else if (arr.size() > MAX_INPUTS) {
        return EchoResponses.error(400, "Invalid 'input': an array of at most " + MAX_INPUTS
            + " inputs is allowed, got " + arr.size() + ".", "input", "invalid_value");
      } else {
        for (int i = 0; i < arr.size(); i++) {
          Object item = arr.getValue(i);
          if (item instanceof String s) {
            texts.add(s);
            tokens += EchoResponses.countWords(s);
          } else if (item instanceof JsonArray ids && allNumbers(ids)) {
            texts.add(ids.encode());
            tokens += ids.size();
          } else {
            return EchoResponses.wrongType("input[" + i + "]",
                "a string or an array of integers", item);
          }
        }
      }
    } else {
      return EchoResponses.wrongType("input", "a string or an array", in);
    }

    JsonArray data = new JsonArray();
    for (int i = 0; i < texts.size(); i++) {
      float[] v = vector(texts.get(i));
      data.add(new JsonObject().put("object", "embedding").put("index", i)
          .put("embedding", base64 ? toBase64(v) : toJson(v)));
    }
    JsonObject usage = new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens);
    return EchoResponses.json(200, new JsonObject().put("object", "list").put("data", data)
        .put("model", model).put("usage", usage));
  }

  private static boolean allNumbers(JsonArray arr) {
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof Number)) {
        return false;
      }
    }
    return true;
  }

  /** The deterministic unit vector for a text: values in [-1, 1], L2 norm 1. */
  static float[] vector(String text) {
    byte[] hash;
    try {
      hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM must provide SHA-256
    }
    long state = ByteBuffer.wrap(hash).getLong();
    double[] raw = new double[DIMENSIONS];
    double sum = 0;
    for (int i = 0; i < DIMENSIONS; i++) {
      state += 0x9E3779B97F4A7C15L; // splitmix64
      long z = state;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      z ^= z >>> 31;
      raw[i] = (z >>> 11) * 0x1.0p-53 * 2 - 1; // uniform in [-1, 1)
      sum += raw[i] * raw[i];
    }
    double norm = Math.sqrt(sum);
    if (norm == 0) { // practically impossible, but a zero vector cannot be normalised
      raw[0] = 1;
      norm = 1;
    }
    float[] out = new float[DIMENSIONS];
    for (int i = 0; i < DIMENSIONS; i++) {
      out[i] = (float) (raw[i] / norm);
    }
    return out;
  }

  private static JsonArray toJson(float[] v) {
    JsonArray arr = new JsonArray();
    for (float f : v) {
      arr.add(f); // Jackson writes the shortest decimal that reads back as this float
    }
    return arr;
  }

  /** Little-endian float32 bytes, base64: what the OpenAI SDKs decode with frombuffer(float32). */
  static String toBase64(float[] v) {
    ByteBuffer buf = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      buf.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(buf.array());
  }
}
