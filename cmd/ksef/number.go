package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/checksum"
)

// numberResult is the verdict on one identifier.
type numberResult struct {
	Input      string `json:"input"`
	Kind       string `json:"kind"`
	Valid      bool   `json:"valid"`
	Problem    string `json:"problem,omitempty"`
	Hint       string `json:"hint,omitempty"`
	SellerNIP  string `json:"sellerNip,omitempty"`
	Date       string `json:"date,omitempty"`
	Technical  string `json:"technical,omitempty"`
	Legacy     bool   `json:"legacy,omitempty"`
	Normalized string `json:"normalized,omitempty"`
	// Warning notes something that does not make the number invalid,
	// e.g. a seller NIP with a wrong checksum (KSeF checks only its shape).
	Warning string `json:"warning,omitempty"`
}

// identifierKind guesses what s is meant to be.
func identifierKind(s string) string {
	switch {
	case len(s) >= 13 && strings.EqualFold(s[11:13], "IZ"):
		return "collective identifier"
	case len(s) > 0 && len(s) <= 12 && strings.Trim(s, "0123456789") == "":
		return "NIP"
	default:
		return "KSeF number"
	}
}

// checkNumber checks one KSeF number, collective identifier or NIP.
func checkNumber(in string) (numberResult, error) {
	s := strings.TrimSpace(in)
	r := numberResult{Input: in, Kind: identifierKind(s)}
	var err error
	var sellerNIP ksef.NIP
	switch r.Kind {
	case "collective identifier":
		var c ksef.CollectiveIdentifier
		if c, err = ksef.ParseCollectiveIdentifier(s); err == nil {
			sellerNIP = c.SellerNIP()
			r.SellerNIP, r.Date, r.Technical = string(sellerNIP), c.Created().Format("2006-01"), c.Technical()
		}
	case "NIP":
		if _, err = ksef.ParseNIP(s); err == nil {
			r.SellerNIP = s
		}
	default:
		var k ksef.KSeFNumber
		if k, err = ksef.ParseKSeFNumber(s); err == nil {
			sellerNIP = k.SellerNIP()
			r.SellerNIP, r.Date, r.Technical = string(sellerNIP), k.Date().Format("2006-01-02"), k.Technical()
			r.Legacy = k.IsLegacy()
			if r.Legacy {
				r.Normalized = k.Normalized()
			}
		}
	}
	if err != nil {
		var ie *ksef.IdentifierError
		if errors.As(err, &ie) {
			r.Problem = ie.Reason
		} else {
			r.Problem = err.Error()
		}
		r.Hint = numberHint(s, r.Kind)
		msg := fmt.Sprintf("invalid %s %q: %s", r.Kind, in, r.Problem)
		if r.Hint != "" {
			msg += " (" + r.Hint + ")"
		}
		return r, errors.New(msg)
	}
	r.Valid = true
	if sellerNIP != "" {
		if _, err := ksef.ParseNIP(string(sellerNIP)); err != nil {
			r.Warning = "the seller NIP " + string(sellerNIP) + " has a wrong checksum"
		}
	}
	return r, nil
}

// checkKSeFNumberFlag checks the value of a --ksef-number flag.
func checkKSeFNumberFlag(s string) error {
	r, err := checkNumber(s)
	if err != nil {
		return fmt.Errorf("--ksef-number: %w", err)
	}
	if r.Kind != "KSeF number" {
		return fmt.Errorf("--ksef-number: %q is a %s, not a KSeF number", s, r.Kind)
	}
	return nil
}

// numberHint explains a rejected identifier further where it can: the
// expected checksum, or a likely typing mistake.
func numberHint(s, kind string) string {
	if s != strings.ToUpper(s) {
		if _, err := checkNumber(strings.ToUpper(s)); err == nil {
			return "letters must be uppercase: " + strings.ToUpper(s)
		}
	}
	if len(s) == 35 && kind != "NIP" {
		if want := checksum.CRC8Hex(s[:32]); want != s[33:] {
			return fmt.Sprintf("the checksum is %s, but the CRC-8 of the first 32 characters is %s", s[33:], want)
		}
	}
	if kind == "NIP" && len(s) == 10 {
		if c := checksum.NIPCheckDigit(s); c < 0 {
			return "no NIP starts with these 9 digits: their check digit would be 10"
		} else if int(s[9]-'0') != c {
			return fmt.Sprintf("the last digit should be %d", c)
		}
	}
	return ""
}

func newNumberCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "number",
		Short: "Check KSeF numbers, collective identifiers and NIPs",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check NUMBER...",
		Short: "Check KSeF numbers (with their CRC-8), collective identifiers and NIPs, and explain what is wrong",
		Long: `Check identifiers offline and say what is wrong with each invalid one:

  KSeF number            NNNNNNNNNN-YYYYMMDD-XXXXXXXXXXXX-CC (35 characters; legacy
                         KSeF 1.0 numbers have 36 and are checked for shape only)
  collective identifier  NNNNNNNNNN-IZYYYYMM-XXXXXXXXXXXX-CC
  NIP                    10 digits with the checksum digit last

CC is a CRC-8 (polynomial 0x07) of the first 32 characters. The command fails
(exit status 1) when any identifier is invalid.`,
		Example: `  ksef number check 5265877635-20250826-0100001AF629-AF
  ksef number check 1111111111-IZ202607-65ED02180000-E7 -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			results := make([]numberResult, 0, len(args))
			invalid := 0
			for _, a := range args {
				r, err := checkNumber(a)
				if err != nil {
					invalid++
				}
				results = append(results, r)
			}
			err := g.emit(results, func(w io.Writer) {
				for _, r := range results {
					if !r.Valid {
						fmt.Fprintf(w, "%s: invalid %s: %s", r.Input, r.Kind, r.Problem)
						if r.Hint != "" {
							fmt.Fprintf(w, " (%s)", r.Hint)
						}
						fmt.Fprintln(w)
						continue
					}
					fmt.Fprintf(w, "%s: valid %s", r.Input, r.Kind)
					if r.Kind != "NIP" {
						fmt.Fprintf(w, " (seller NIP %s, %s, technical part %s", r.SellerNIP, r.Date, r.Technical)
						if r.Legacy {
							fmt.Fprint(w, ", KSeF 1.0 number")
						}
						fmt.Fprint(w, ")")
					}
					if r.Warning != "" {
						fmt.Fprintf(w, "; warning: %s", r.Warning)
					}
					fmt.Fprintln(w)
				}
			})
			if err != nil {
				return err
			}
			if invalid > 0 {
				return fmt.Errorf("%d of %d identifiers invalid", invalid, len(args))
			}
			return nil
		},
	})
	return cmd
}
