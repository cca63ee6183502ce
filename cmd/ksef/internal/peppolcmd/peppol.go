// Package peppolcmd is the `ksef peppol` command area: the Peppol service
// providers registered in KSeF (a public list).
package peppolcmd

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// New is the `ksef peppol` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peppol",
		Short: "Peppol service providers registered in KSeF",
	}
	cmd.AddCommand(newListCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// ListResult is the -o json output of `ksef peppol list`.
type ListResult struct {
	Providers []ksef.PeppolProvider `json:"providers"`
	More      bool                  `json:"more"`
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var all bool
	var pageSize, page int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the Peppol providers (one page, or every page with --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			p := &ksef.PeppolPage{PageSize: pageSize, PageOffset: page}
			var res ListResult
			res.Providers, res.More, err = cli.Collect(all, c.Peppol.ProvidersAll(cmd.Context(), p), func() ([]ksef.PeppolProvider, bool, error) {
				pg, err := c.Peppol.Providers(cmd.Context(), p)
				if err != nil {
					return nil, false, err
				}
				return pg.PeppolProviders, pg.HasMore, nil
			})
			if err != nil {
				return err
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tREGISTERED\tNAME")
				for _, p := range res.Providers {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, p.DateCreated.UTC().Format(time.RFC3339), p.Name)
				}
				tw.Flush()
				if res.More {
					fmt.Fprintln(w, "(more providers: --all lists every page)")
				}
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list every page")
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "page size (10-100)")
	cmd.Flags().IntVar(&page, "page", 0, "page number, from 0")
	return cmd
}
