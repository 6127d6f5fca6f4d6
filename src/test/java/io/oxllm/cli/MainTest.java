package io.oxllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's exit codes and messages (SPEC section 1), run in-process. */
class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void validateAcceptsTheShippedConfig() {
    assertEquals(0, run("validate", "-conf", "conf/config.toml"), errText());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("valid"));
  }

  @Test
  void validatePrintsEveryProblemWithItsPathAndExitsTwo(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.toml");
    Files.writeString(bad, String.join("\n",
        "[server]", "port = 70000", "[[providers]]", "name = \"a\"", "type = \"openai\"",
        "base_url = \"ftp://x\"", "[virtual_models]", "v = [{ provider = \"nope\", model = \"m\" }]", ""));
    assertEquals(2, run("validate", "-conf", bad.toString()));
    String text = errText();
    assertTrue(text.contains("server.port"), text);
    assertTrue(text.contains("providers[0].base_url"), text);
    assertTrue(text.contains("virtual_models.v[0].provider"), text);
  }

  @Test
  void validateReportsATomlSyntaxErrorWithItsLine(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("syntax.toml");
    Files.writeString(bad, "[server]\nport = 8080\nhost = \n");
    assertEquals(2, run("validate", "-conf", bad.toString()));
    assertTrue(errText().contains("line 3"), errText());
  }

  @Test
  void aMissingConfigFileIsAConfigError(@TempDir Path dir) {
    assertEquals(2, run("validate", "-conf", dir.resolve("absent.toml").toString()));
    assertTrue(errText().contains("absent.toml"), errText());
  }

  @Test
  void serveRefusesAnInvalidConfigWithExitTwo(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.toml");
    Files.writeString(bad, "[server]\nprot = 1\n");
    assertEquals(2, run("serve", "-conf", bad.toString()));
    assertTrue(errText().contains("server.prot"), errText());
  }

  @Test
  void unknownCommandsAndOptionsAreUsageErrors() {
    assertEquals(2, run("frobnicate"));
    assertTrue(errText().contains("unknown command 'frobnicate'"), errText());
    assertEquals(2, run("validate", "-bogus"));
    assertEquals(2, run("serve", "-instances", "zero"));
    assertEquals(2, run("serve", "-conf"));
  }

  @Test
  void aConfigFileWithoutConfIsAUsageErrorNotTheDefaultFile(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("broken.toml");
    Files.writeString(bad, "port = \"x\"\n");
    assertEquals(2, run("validate", bad.toString()));
    assertTrue(errText().contains("unexpected argument '" + bad + "' (give a config file with -conf " + bad + ")"),
        errText());
    assertEquals(2, run("status", "extra"));
    assertEquals(2, run("reload", "now"));
    assertEquals(2, run("provider", "offline", "a", "b"));
    assertEquals(2, run("provider", "offline", ""));
  }

  @Test
  void aFlagTheCommandWouldIgnoreIsAUsageError() {
    // serve --url served the local config on its port, when status --url was meant
    assertEquals(2, run("serve", "--url", "http://127.0.0.1:1"));
    assertTrue(errText().contains("--url is for the client commands"), errText());
    assertEquals(2, run("--url", "http://127.0.0.1:1"));
    assertEquals(2, run("validate", "--json", "-conf", "conf/config.toml"));
    assertEquals(2, run("stop", "-instances", "3"));
    assertEquals(2, run("validate", "-conf", "a.toml", "-conf", "conf/config.toml"));
    assertTrue(errText().contains("-conf given twice"), errText());
    // as server.instances: 99999 event loops ended in an OutOfMemoryError trace
    assertEquals(2, run("serve", "-instances", "99999"));
    assertTrue(errText().contains("-instances must be 1 to 1024"), errText());
  }
}
