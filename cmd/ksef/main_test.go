package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMainExitCode runs the real main in a child process.
func TestMainExitCode(t *testing.T) {
	if os.Getenv("KSEF_CLI_TEST_MAIN") == "1" {
		os.Args = append([]string{"ksef"}, strings.Fields(os.Getenv("KSEF_CLI_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	cmd := testCommand(t, "--config-dir "+t.TempDir()+" auth status")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "ksef: no profile") {
		t.Errorf("stderr %q, want it to start with \"ksef: no profile\"", got)
	}
}

func testCommand(t *testing.T, args string) *exec.Cmd {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMainExitCode$")
	cmd.Env = append(os.Environ(), "KSEF_CLI_TEST_MAIN=1", "KSEF_CLI_TEST_ARGS="+args)
	return cmd
}
