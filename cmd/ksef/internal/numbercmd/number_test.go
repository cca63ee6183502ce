package numbercmd

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/cmd/ksef/internal/idcheck"
	"github.com/ksef2/ksef/internal/checksum"
)

var areas = []cli.Area{New}

func runDoc(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return clitest.Doc(t, areas, stdin, args...)
}

func mustRunDoc(t *testing.T, args ...string) string {
	t.Helper()
	return clitest.MustDoc(t, areas, args...)
}

func TestNumberCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	good := string(ksef.NewKSeFNumber(ksef.RandomNIP(r), time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC), r))
	coll := "1111111111-IZ202607-65ED02180000-E7" // the API spec's example
	out := mustRunDoc(t, "number", "check", good, coll, "5265877635")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 ||
		lines[0] != good+": valid KSeF number (seller NIP "+good[:10]+", 2026-02-03, technical part "+good[20:32]+")" ||
		lines[1] != coll+": valid collective identifier (seller NIP 1111111111, 2026-07, technical part 65ED02180000)" ||
		lines[2] != "5265877635: valid NIP" {
		t.Errorf("output:\n%s", out)
	}

	// Wrong checksum: the expected one is named.
	crc := good[33:]
	wrong := "00"
	if crc == wrong {
		wrong = "01"
	}
	badCRC := good[:33] + wrong
	lower := strings.ToLower(good)
	out, _, err := runDoc(t, "", "number", "check", good, badCRC, lower, "5265877636", "1111111111-IZ202613-65ED02180000-E7", "abc", "526587763", "1234567890")
	if err == nil || err.Error() != "7 of 8 identifiers invalid" {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		badCRC + ": invalid KSeF number: checksum mismatch (the checksum is " + wrong + ", but the CRC-8 of the first 32 characters is " + crc + ")",
		lower + ": invalid KSeF number: ",
		"(letters must be uppercase: " + good + ")",
		"5265877636: invalid NIP: ",
		"(the last digit should be 5)",
		"1111111111-IZ202613-65ED02180000-E7: invalid collective identifier: ",
		"abc: invalid KSeF number: must be 35 characters",
		"526587763: invalid NIP: ",
		"1234567890: invalid NIP: checksum mismatch (no NIP starts with these 9 digits: their check digit would be 10)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// JSON.
	out, _, err = runDoc(t, "", "number", "check", "-o", "json", good, badCRC)
	if err == nil {
		t.Fatal("no error")
	}
	var res []idcheck.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].Valid || res[0].SellerNIP != good[:10] || res[0].Date != "2026-02-03" ||
		res[1].Valid || res[1].Problem != "checksum mismatch" || !strings.Contains(res[1].Hint, crc) {
		t.Errorf("json %+v", res)
	}

	// A KSeF 1.0 number is checked for its shape only.
	out = mustRunDoc(t, "number", "check", "5265877635-20230101-ABCDEF-123456-FF")
	if out != "5265877635-20230101-ABCDEF-123456-FF: valid KSeF number (seller NIP 5265877635, 2023-01-01, technical part ABCDEF123456, KSeF 1.0 number)\n" {
		t.Errorf("legacy: %q", out)
	}

	// A valid number whose seller NIP fails its own checksum gets a warning.
	s := "1234567890-20260203-0123456789AB"
	n := s + "-" + checksum.CRC8Hex(s)
	out = mustRunDoc(t, "number", "check", n)
	if !strings.Contains(out, "warning: the seller NIP 1234567890 has a wrong checksum") {
		t.Errorf("output %q", out)
	}
}
