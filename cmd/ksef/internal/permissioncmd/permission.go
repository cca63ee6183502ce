// Package permissioncmd is the `ksef permission` command area: granting
// every kind of KSeF permission, revoking, the status of a grant or revoke
// operation, the permission queries and the attachment status, for the
// context of the stored profile.
package permissioncmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ident"
)

// New is the `ksef permission` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "permission",
		Aliases: []string{"permissions"},
		Short:   "Permissions: grant (persons, entities, authorizations, indirect, subunits, EU entities), revoke, status, query",
	}
	cmd.AddCommand(newGrantCmd(f), newRevokeCmd(f), newStatusCmd(f), newQueryCmd(f), newAttachmentsCmd(f))
	return cli.SetTimeout(cmd, cli.DefaultTimeout)
}

// OperationResult is the -o json output of the grant, revoke and status
// commands.
type OperationResult struct {
	// ReferenceNumber identifies the permission operation.
	ReferenceNumber string `json:"referenceNumber"`
	// Status is the operation's status (absent with --wait=false on a
	// grant or revoke).
	Status *ksef.StatusInfo `json:"status,omitempty"`
}

// runOperation starts a grant or revoke with start, waits for its outcome
// unless wait is false, prints the result and fails when the operation
// failed.
func runOperation(ctx context.Context, f *cli.Factory, wait bool, start func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error)) error {
	s, err := f.Session()
	if err != nil {
		return err
	}
	op, err := start(ctx, s.Client)
	if err != nil {
		return cli.RefreshError(err)
	}
	res := OperationResult{ReferenceNumber: op.ReferenceNumber}
	var failed error
	if wait {
		st, err := s.Client.Permissions.Wait(ctx, op.ReferenceNumber, nil)
		if st != nil {
			res.Status = &st.Status
		}
		if err != nil {
			var se *ksef.StatusError
			if !errors.As(err, &se) {
				return fmt.Errorf("permission operation %s: %w", op.ReferenceNumber, cli.RefreshError(err))
			}
			failed = err
		}
	}
	if err := f.Emit(res, func(w io.Writer) { printOperation(w, res) }); err != nil {
		return err
	}
	return failed
}

func printOperation(w io.Writer, r OperationResult) {
	fmt.Fprintf(w, "Operation %s", r.ReferenceNumber)
	if r.Status == nil {
		fmt.Fprintln(w, ": accepted (not waited for; see `ksef permission status`)")
		return
	}
	fmt.Fprintf(w, ": status %d %s", r.Status.Code, r.Status.Description)
	if len(r.Status.Details) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(r.Status.Details, "; "))
	}
	fmt.Fprintln(w)
}

func newStatusCmd(f *cli.Factory) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "status REFERENCE",
		Short: "Show the status of a grant or revoke operation (--wait: until it ends)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			var st *ksef.PermissionsOperationStatusResponse
			var failed error
			if wait {
				st, err = s.Client.Permissions.Wait(cmd.Context(), args[0], nil)
				var se *ksef.StatusError
				if errors.As(err, &se) {
					failed, err = err, nil
				}
			} else {
				st, err = s.Client.Permissions.OperationStatus(cmd.Context(), args[0])
			}
			if err != nil {
				return cli.RefreshError(err)
			}
			res := OperationResult{ReferenceNumber: args[0], Status: &st.Status}
			if err := f.Emit(res, func(w io.Writer) { printOperation(w, res) }); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "poll until the operation ends; fail if it failed")
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

func newRevokeCmd(f *cli.Factory) *cobra.Command {
	var wait, authorization bool
	cmd := &cobra.Command{
		Use:   "revoke PERMISSION-ID",
		Short: "Revoke a permission by the id a query shows (--authorization for an entity authorization)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOperation(cmd.Context(), f, wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
				if authorization {
					return a.Permissions.RevokeAuthorization(ctx, args[0])
				}
				return a.Permissions.Revoke(ctx, args[0])
			})
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait for the operation's outcome")
	cmd.Flags().BoolVar(&authorization, "authorization", false, "revoke an entity authorization (SelfInvoicing, RRInvoicing, TaxRepresentative, PefInvoicing)")
	return cmd
}

// AttachmentStatus is the -o json output of `ksef permission attachments`.
type AttachmentStatus struct {
	Allowed     bool       `json:"allowed"`
	RevokedDate *time.Time `json:"revokedDate,omitempty"`
}

func newAttachmentsCmd(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attachments",
		Short: "Show whether the profile's context may send invoices with attachments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			st, err := s.Client.Permissions.AttachmentStatus(cmd.Context())
			if err != nil {
				return cli.RefreshError(err)
			}
			res := AttachmentStatus{Allowed: st.IsAttachmentAllowed != nil && *st.IsAttachmentAllowed, RevokedDate: st.RevokedDate}
			return f.Emit(res, func(w io.Writer) {
				if res.Allowed {
					fmt.Fprintln(w, "Invoices with attachments: allowed")
					return
				}
				fmt.Fprint(w, "Invoices with attachments: not allowed")
				if res.RevokedDate != nil {
					fmt.Fprintf(w, " (revoked %s)", res.RevokedDate.UTC().Format(time.RFC3339))
				}
				fmt.Fprintln(w)
			})
		},
	}
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

// parseIdent reads "type:value" with the type one of allowed
// (case-insensitive), e.g. "nip:5265877635" or "fingerprint:AB12…".
func parseIdent(flag, s string, allowed ...ident.Type) (ident.Identifier, error) {
	typ, val, ok := strings.Cut(s, ":")
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strings.ToLower(string(a))
		if ok && strings.EqualFold(typ, string(a)) {
			return ident.Identifier{Type: a, Value: val}, nil
		}
	}
	return ident.Identifier{}, fmt.Errorf("--%s %q: want TYPE:VALUE with TYPE one of %s", flag, s, strings.Join(names, ", "))
}

// completeValues returns a completion function offering values.
func completeValues(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// table writes rows under a header with aligned columns.
func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d item(s)\n", len(rows))
}
