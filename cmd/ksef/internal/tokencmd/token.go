// Package tokencmd is the `ksef token` command area: generate, list, show,
// wait for and revoke the KSeF tokens of the profile's context.
package tokencmd

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

var permissions = []string{"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage",
	"SubunitManage", "EnforcementOperations", "Introspection", "CollectiveIdentifierManage"}

var statuses = []string{"Pending", "Active", "Revoking", "Revoked", "Failed"}

// New is the `ksef token` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "KSeF tokens of the profile's context: generate, list, status, wait, revoke",
	}
	cmd.AddCommand(newGenerateCmd(f), newListCmd(f), newStatusCmd(f), newRevokeCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// GenerateResult is the -o json output of `ksef token generate`.
type GenerateResult struct {
	ReferenceNumber string                         `json:"referenceNumber"`
	Token           string                         `json:"token"`
	Status          ksef.AuthenticationTokenStatus `json:"status,omitempty"`
}

func newGenerateCmd(f *cli.Factory) *cobra.Command {
	var (
		desc  string
		perms []string
		wait  bool
	)
	cmd := &cobra.Command{
		Use:   "generate --description TEXT --permission P [--permission P...]",
		Short: "Generate a KSeF token (its value is shown once)",
		Long: `Generate a KSeF token in the profile's context with the given permissions
(InvoiceRead, InvoiceWrite, CredentialsRead, CredentialsManage,
SubunitManage, EnforcementOperations, Introspection,
CollectiveIdentifierManage). The token value is printed only now: store it
safely. With --wait the command returns once the token is Active.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.GenerateTokenRequest{Description: desc}
			for _, p := range perms {
				v, ok := cli.MatchValue(p, permissions...)
				if !ok {
					return fmt.Errorf("--permission %q: want one of %s", p, strings.Join(permissions, ", "))
				}
				req.Permissions = append(req.Permissions, ksef.TokenPermissionType(v))
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			gen, err := s.Client.Tokens.Generate(cmd.Context(), req)
			if err != nil {
				return cli.RefreshError(err)
			}
			res := GenerateResult{ReferenceNumber: gen.ReferenceNumber, Token: gen.Token.Reveal()}
			if wait {
				st, err := s.Client.Tokens.WaitActive(cmd.Context(), gen.ReferenceNumber, nil)
				if err != nil {
					return fmt.Errorf("token %s (value %s) generated, but: %w", gen.ReferenceNumber, res.Token, err)
				}
				res.Status = st.Status
			}
			return f.Emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "Reference: %s\nToken:     %s\n", res.ReferenceNumber, res.Token)
				if res.Status != "" {
					fmt.Fprintf(w, "Status:    %s\n", res.Status)
				}
				fmt.Fprintln(w, "The token is shown only once; store it safely.")
			})
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "description of the token (5-256 characters)")
	cmd.Flags().StringArrayVar(&perms, "permission", nil, "permission of the token (repeatable)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the token is Active")
	_ = cmd.MarkFlagRequired("description")
	_ = cmd.MarkFlagRequired("permission")
	cli.CompleteValues(cmd, "permission", permissions...)
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

// ListResult is the -o json output of `ksef token list`.
type ListResult struct {
	Tokens []ksef.QueryTokensResponseItem `json:"tokens"`
	More   bool                           `json:"more"`
}

func newListCmd(f *cli.Factory) *cobra.Command {
	var (
		sts                      []string
		desc, author, authorType string
		all                      bool
		pageSize                 int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the KSeF tokens of the context, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := &ksef.ListTokensParams{Description: desc, AuthorIdentifier: author, PageSize: pageSize}
			for _, st := range sts {
				v, ok := cli.MatchValue(st, statuses...)
				if !ok {
					return fmt.Errorf("--status %q: want one of %s", st, strings.Join(statuses, ", "))
				}
				p.Statuses = append(p.Statuses, ksef.AuthenticationTokenStatus(v))
			}
			if authorType != "" {
				v, ok := cli.MatchValue(authorType, "Nip", "Pesel", "Fingerprint")
				if !ok {
					return fmt.Errorf("--author-type %q: want Nip, Pesel or Fingerprint", authorType)
				}
				p.AuthorIdentifierType = ksef.TokenAuthorIdentifierType(v)
			}
			s, err := f.Session()
			if err != nil {
				return err
			}
			var res ListResult
			res.Tokens, res.More, err = cli.Collect(all, s.Client.Tokens.ListAll(cmd.Context(), p), func() ([]ksef.QueryTokensResponseItem, bool, error) {
				page, err := s.Client.Tokens.List(cmd.Context(), p)
				if err != nil {
					return nil, false, err
				}
				return page.Tokens, page.ContinuationToken != "", nil
			})
			if err != nil {
				return cli.RefreshError(err)
			}
			return f.Emit(res, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "REFERENCE\tSTATUS\tCREATED\tAUTHOR\tPERMISSIONS\tDESCRIPTION")
				for _, t := range res.Tokens {
					perms := make([]string, len(t.RequestedPermissions))
					for i, p := range t.RequestedPermissions {
						perms[i] = string(p)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ReferenceNumber, t.Status, t.DateCreated.UTC().Format(time.RFC3339),
						t.AuthorIdentifier.Value, strings.Join(perms, ","), t.Description)
				}
				tw.Flush()
				if res.More {
					fmt.Fprintln(w, "(more tokens: --all lists every page)")
				}
			})
		},
	}
	cmd.Flags().StringArrayVar(&sts, "status", nil, "keep tokens in this state (repeatable)")
	cmd.Flags().StringVar(&desc, "description", "", "keep tokens whose description contains this (3+ characters)")
	cmd.Flags().StringVar(&author, "author", "", "keep tokens whose author's identifier contains this (3+ characters)")
	cmd.Flags().StringVar(&authorType, "author-type", "", "kind of author identifier: Nip, Pesel or Fingerprint")
	cmd.Flags().BoolVar(&all, "all", false, "list every page")
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "page size (10-100)")
	cli.CompleteValues(cmd, "status", statuses...)
	cli.CompleteValues(cmd, "author-type", "Nip", "Pesel", "Fingerprint")
	return cmd
}

func newStatusCmd(f *cli.Factory) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "status REF",
		Short: "Show a KSeF token's state (--wait: until it leaves Pending)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			var st *ksef.TokenStatusResponse
			if wait {
				st, err = s.Client.Tokens.WaitActive(cmd.Context(), args[0], nil)
			} else {
				st, err = s.Client.Tokens.Status(cmd.Context(), args[0])
			}
			if st == nil && err != nil {
				return cli.RefreshError(err)
			}
			if eerr := f.Emit(st, func(w io.Writer) {
				fmt.Fprintf(w, "Reference:   %s\nStatus:      %s\nDescription: %s\nCreated:     %s\n", st.ReferenceNumber, st.Status,
					st.Description, st.DateCreated.UTC().Format(time.RFC3339))
			}); eerr != nil {
				return eerr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the token leaves Pending; fail unless it is Active")
	return cmd
}

func newRevokeCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke REF...",
		Short: "Revoke KSeF tokens (they stop authenticating at once)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			for _, ref := range args {
				if err := s.Client.Tokens.Revoke(cmd.Context(), ref); err != nil {
					return fmt.Errorf("revoke %s: %w", ref, cli.RefreshError(err))
				}
			}
			return f.Emit(map[string]any{"revoked": args}, func(w io.Writer) {
				for _, ref := range args {
					fmt.Fprintf(w, "Revoked %s\n", ref)
				}
			})
		},
	}
}
