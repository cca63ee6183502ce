// Package numbercmd is the `ksef number` command area: offline checks of
// KSeF numbers, collective identifiers and NIPs.
package numbercmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/idcheck"
)

// New is the `ksef number` area.
func New(f *cli.Factory) *cobra.Command {
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
			results := make([]idcheck.Result, 0, len(args))
			invalid := 0
			for _, a := range args {
				r, err := idcheck.Check(a)
				if err != nil {
					invalid++
				}
				results = append(results, r)
			}
			err := f.Emit(results, func(w io.Writer) {
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
