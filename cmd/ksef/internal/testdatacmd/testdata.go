// Package testdatacmd is the `ksef testdata` command area: test data on
// KSeF TEST (and the simulator): subjects with subunits, persons,
// permissions, attachments, context blocks. These operations need no
// login; the server is --env/--base-url or the current profile's.
package testdatacmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ident"
)

var (
	subjectTypes = []string{"VatGroup", "JST", "EnforcementAuthority"}
	permissions  = []string{"InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead", "CredentialsManage",
		"EnforcementOperations", "SubunitManage", "CollectiveIdentifierManage"}
	contextTypes = []string{"Nip", "InternalId", "NipVatUe", "PeppolId"}
)

// New is the `ksef testdata` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testdata",
		Short: "TEST only: subjects, persons, permissions, attachments, context blocks",
	}
	subject := &cobra.Command{Use: "subject", Short: "Create or remove a test subject (VAT group, JST, enforcement authority)"}
	subject.AddCommand(newSubjectCreateCmd(f), newSubjectRemoveCmd(f))
	person := &cobra.Command{Use: "person", Short: "Create or remove a test person (NIP + PESEL, owner rights)"}
	person.AddCommand(newPersonCreateCmd(f), newPersonRemoveCmd(f))
	att := &cobra.Command{Use: "attachments", Short: "Allow or stop invoices with attachments for a NIP"}
	att.AddCommand(newAttachmentsEnableCmd(f), newAttachmentsRevokeCmd(f))
	cmd.AddCommand(subject, person, newGrantCmd(f), newRevokeCmd(f), att, newBlockCmd(f), newUnblockCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

func done(f *cli.Factory, what string) error {
	return f.Emit(map[string]string{"done": what}, func(w io.Writer) { fmt.Fprintln(w, what) })
}

// call is the RunE of a testdata command: do makes its request with the
// public client (these operations need no login) and says what it did.
func call(f *cli.Factory, do func(ctx context.Context, c *ksef.Client) (string, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		c, err := f.PublicClient()
		if err != nil {
			return err
		}
		what, err := do(cmd.Context(), c)
		if err != nil {
			return err
		}
		return done(f, what)
	}
}

// nipCmd builds a command whose one required flag, --nip, names the
// subject of its request.
func nipCmd(f *cli.Factory, use, short string, do func(ctx context.Context, c *ksef.Client, nip string) (string, error)) *cobra.Command {
	var nip string
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) { return do(ctx, c, nip) })}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	return cmd
}

func newSubjectCreateCmd(f *cli.Factory) *cobra.Command {
	var nip, typ, desc string
	var subunits []string
	cmd := &cobra.Command{
		Use:   "create --nip NIP --type VatGroup|JST|EnforcementAuthority --description TEXT [--subunit NIP=DESCRIPTION...]",
		Short: "Create a test subject with optional subunits",
		Args:  cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) {
			t, ok := cli.MatchValue(typ, subjectTypes...)
			if !ok {
				return "", fmt.Errorf("--type %q: want one of %s", typ, strings.Join(subjectTypes, ", "))
			}
			req := &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectType(t), Description: desc}
			for _, s := range subunits {
				n, d, ok := strings.Cut(s, "=")
				if !ok {
					return "", fmt.Errorf("--subunit %q: want NIP=DESCRIPTION", s)
				}
				req.Subunits = append(req.Subunits, ksef.Subunit{SubjectNip: n, Description: d})
			}
			return "Subject " + nip + " created", c.TestData.CreateSubject(ctx, req)
		}),
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP of the subject")
	cmd.Flags().StringVar(&typ, "type", "", "VatGroup, JST or EnforcementAuthority")
	cmd.Flags().StringVar(&desc, "description", "", "description (5-256 characters)")
	cmd.Flags().StringArrayVar(&subunits, "subunit", nil, "subunit NIP=DESCRIPTION (repeatable)")
	for _, n := range []string{"nip", "type", "description"} {
		_ = cmd.MarkFlagRequired(n)
	}
	cli.CompleteValues(cmd, "type", subjectTypes...)
	return cmd
}

func newPersonCreateCmd(f *cli.Factory) *cobra.Command {
	var nip, pesel, desc string
	var bailiff, deceased bool
	cmd := &cobra.Command{
		Use:   "create --nip NIP --pesel PESEL --description TEXT [--bailiff] [--deceased]",
		Short: "Create a test person with owner rights in its NIP context",
		Args:  cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) {
			return "Person " + nip + " created", c.TestData.CreatePerson(ctx, &ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, Description: desc,
				IsBailiff: bailiff, IsDeceased: deceased})
		}),
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP of the person")
	cmd.Flags().StringVar(&pesel, "pesel", "", "PESEL of the person")
	cmd.Flags().StringVar(&desc, "description", "", "description (5-256 characters)")
	cmd.Flags().BoolVar(&bailiff, "bailiff", false, "a court bailiff (EnforcementOperations)")
	cmd.Flags().BoolVar(&deceased, "deceased", false, "a deceased person (authentication ends with 470)")
	for _, n := range []string{"nip", "pesel", "description"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newSubjectRemoveCmd(f *cli.Factory) *cobra.Command {
	return nipCmd(f, "remove --nip NIP", "Remove a test subject", func(ctx context.Context, c *ksef.Client, nip string) (string, error) {
		return "Subject " + nip + " removed", c.TestData.RemoveSubject(ctx, &ksef.SubjectRemoveRequest{SubjectNip: nip})
	})
}

func newPersonRemoveCmd(f *cli.Factory) *cobra.Command {
	return nipCmd(f, "remove --nip NIP", "Remove a test person", func(ctx context.Context, c *ksef.Client, nip string) (string, error) {
		return "Person " + nip + " removed", c.TestData.RemovePerson(ctx, &ksef.PersonRemoveRequest{Nip: nip})
	})
}

// subjectFlags are the flags naming the subject of a test-data grant.
type subjectFlags struct{ ctxNIP, nip, pesel, fingerprint string }

func (sf *subjectFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&sf.ctxNIP, "context", "", "NIP of the context")
	cmd.Flags().StringVar(&sf.nip, "nip", "", "the subject's NIP")
	cmd.Flags().StringVar(&sf.pesel, "pesel", "", "the subject's PESEL")
	cmd.Flags().StringVar(&sf.fingerprint, "fingerprint", "", "the SHA-256 fingerprint of the subject's certificate")
	cmd.MarkFlagsMutuallyExclusive("nip", "pesel", "fingerprint")
	_ = cmd.MarkFlagRequired("context")
}

func (sf *subjectFlags) parties() (ksef.TestDataContextIdentifier, ksef.TestDataAuthorizedIdentifier, error) {
	ctxID := ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: sf.ctxNIP}
	switch {
	case sf.nip != "":
		return ctxID, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: sf.nip}, nil
	case sf.pesel != "":
		return ctxID, ksef.TestDataAuthorizedIdentifier{Type: ident.TypePesel, Value: sf.pesel}, nil
	case sf.fingerprint != "":
		return ctxID, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: strings.ToUpper(sf.fingerprint)}, nil
	}
	return ctxID, ksef.TestDataAuthorizedIdentifier{}, fmt.Errorf("give --nip, --pesel or --fingerprint")
}

func newGrantCmd(f *cli.Factory) *cobra.Command {
	var sf subjectFlags
	var desc string
	var perms []string
	cmd := &cobra.Command{
		Use:   "grant --context NIP (--nip NIP | --pesel PESEL | --fingerprint SHA256) --permission P...",
		Short: "Grant permissions in a NIP context directly (as a ZAW-FA filing would)",
		Args:  cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) {
			ctxID, who, err := sf.parties()
			if err != nil {
				return "", err
			}
			req := &ksef.TestDataPermissionsGrantRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who}
			for _, p := range perms {
				v, ok := cli.MatchValue(p, permissions...)
				if !ok {
					return "", fmt.Errorf("--permission %q: want one of %s", p, strings.Join(permissions, ", "))
				}
				req.Permissions = append(req.Permissions, ksef.TestDataPermission{PermissionType: ksef.TestDataPermissionType(v), Description: desc})
			}
			return "Permissions granted to " + who.Value + " in " + sf.ctxNIP, c.TestData.GrantPermissions(ctx, req)
		}),
	}
	sf.add(cmd)
	cmd.Flags().StringArrayVar(&perms, "permission", nil, "permission (repeatable)")
	cmd.Flags().StringVar(&desc, "description", "granted by ksef testdata", "description of the permissions (5-256 characters)")
	_ = cmd.MarkFlagRequired("permission")
	cli.CompleteValues(cmd, "permission", permissions...)
	return cmd
}

func newRevokeCmd(f *cli.Factory) *cobra.Command {
	var sf subjectFlags
	cmd := &cobra.Command{
		Use:   "revoke --context NIP (--nip NIP | --pesel PESEL | --fingerprint SHA256)",
		Short: "Revoke every test-data permission of a subject in a NIP context",
		Args:  cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) {
			ctxID, who, err := sf.parties()
			if err != nil {
				return "", err
			}
			return "Permissions of " + who.Value + " in " + sf.ctxNIP + " revoked", c.TestData.RevokePermissions(ctx, &ksef.TestDataPermissionsRevokeRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who})
		}),
	}
	sf.add(cmd)
	return cmd
}

func newAttachmentsEnableCmd(f *cli.Factory) *cobra.Command {
	return nipCmd(f, "enable --nip NIP", "Allow invoices with attachments for a NIP", func(ctx context.Context, c *ksef.Client, nip string) (string, error) {
		return "Attachments enabled for " + nip, c.TestData.EnableAttachments(ctx, &ksef.AttachmentPermissionGrantRequest{Nip: nip})
	})
}

func newAttachmentsRevokeCmd(f *cli.Factory) *cobra.Command {
	var end string
	cmd := nipCmd(f, "revoke --nip NIP [--end-date YYYY-MM-DD]", "Stop invoices with attachments for a NIP (from --end-date, default now)", func(ctx context.Context, c *ksef.Client, nip string) (string, error) {
		return "Attachments revoked for " + nip, c.TestData.RevokeAttachments(ctx, &ksef.AttachmentPermissionRevokeRequest{Nip: nip, ExpectedEndDate: end})
	})
	cmd.Flags().StringVar(&end, "end-date", "", "date the permission ends (YYYY-MM-DD; default now)")
	return cmd
}

// contextCmd builds a command whose flags --context and --context-type
// name the context of its request.
func contextCmd(f *cli.Factory, use, short string, do func(ctx context.Context, c *ksef.Client, id *ksef.TestDataAuthenticationContextIdentifier) (string, error)) *cobra.Command {
	var typ, value string
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: call(f, func(ctx context.Context, c *ksef.Client) (string, error) {
			t, ok := cli.MatchValue(typ, contextTypes...)
			if !ok {
				return "", fmt.Errorf("--context-type %q: want one of %s", typ, strings.Join(contextTypes, ", "))
			}
			return do(ctx, c, &ksef.TestDataAuthenticationContextIdentifier{Type: ident.Type(t), Value: value})
		})}
	cmd.Flags().StringVar(&value, "context", "", "context identifier")
	cmd.Flags().StringVar(&typ, "context-type", "Nip", "Nip, InternalId, NipVatUe or PeppolId")
	_ = cmd.MarkFlagRequired("context")
	cli.CompleteValues(cmd, "context-type", contextTypes...)
	return cmd
}

func newBlockCmd(f *cli.Factory) *cobra.Command {
	return contextCmd(f, "block --context VALUE [--context-type Nip]", "Block authentication in a context (status 480)", func(ctx context.Context, c *ksef.Client, id *ksef.TestDataAuthenticationContextIdentifier) (string, error) {
		return "Context " + id.Value + " blocked", c.TestData.BlockContext(ctx, &ksef.BlockContextAuthenticationRequest{ContextIdentifier: id})
	})
}

func newUnblockCmd(f *cli.Factory) *cobra.Command {
	return contextCmd(f, "unblock --context VALUE [--context-type Nip]", "Unblock authentication in a context", func(ctx context.Context, c *ksef.Client, id *ksef.TestDataAuthenticationContextIdentifier) (string, error) {
		return "Context " + id.Value + " unblocked", c.TestData.UnblockContext(ctx, &ksef.UnblockContextAuthenticationRequest{ContextIdentifier: id})
	})
}
