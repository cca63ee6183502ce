// Package testdatacmd is the `ksef testdata` command area: test data on
// KSeF TEST (and the simulator): subjects with subunits, persons,
// permissions, attachments, context blocks. These operations need no
// login; the server is --env/--base-url or the current profile's.
package testdatacmd

import (
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
	att.AddCommand(newAttachmentsCmd(f, true), newAttachmentsCmd(f, false))
	cmd.AddCommand(subject, person, newGrantCmd(f), newRevokeCmd(f), att, newBlockCmd(f, true), newBlockCmd(f, false))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

func done(f *cli.Factory, what string) error {
	return f.Emit(map[string]string{"done": what}, func(w io.Writer) { fmt.Fprintln(w, what) })
}

func newSubjectCreateCmd(f *cli.Factory) *cobra.Command {
	var nip, typ, desc string
	var subunits []string
	cmd := &cobra.Command{
		Use:   "create --nip NIP --type VatGroup|JST|EnforcementAuthority --description TEXT [--subunit NIP=DESCRIPTION...]",
		Short: "Create a test subject with optional subunits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, ok := cli.MatchValue(typ, subjectTypes...)
			if !ok {
				return fmt.Errorf("--type %q: want one of %s", typ, strings.Join(subjectTypes, ", "))
			}
			req := &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectType(t), Description: desc}
			for _, s := range subunits {
				n, d, ok := strings.Cut(s, "=")
				if !ok {
					return fmt.Errorf("--subunit %q: want NIP=DESCRIPTION", s)
				}
				req.Subunits = append(req.Subunits, ksef.Subunit{SubjectNip: n, Description: d})
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.CreateSubject(cmd.Context(), req); err != nil {
				return err
			}
			return done(f, "Subject "+nip+" created")
		},
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.CreatePerson(cmd.Context(), &ksef.PersonCreateRequest{Nip: nip, Pesel: pesel, Description: desc,
				IsBailiff: bailiff, IsDeceased: deceased}); err != nil {
				return err
			}
			return done(f, "Person "+nip+" created")
		},
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
	var nip string
	cmd := &cobra.Command{
		Use:   "remove --nip NIP",
		Short: "Remove a test subject",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.RemoveSubject(cmd.Context(), &ksef.SubjectRemoveRequest{SubjectNip: nip}); err != nil {
				return err
			}
			return done(f, "Subject "+nip+" removed")
		},
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	return cmd
}

func newPersonRemoveCmd(f *cli.Factory) *cobra.Command {
	var nip string
	cmd := &cobra.Command{
		Use:   "remove --nip NIP",
		Short: "Remove a test person",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.RemovePerson(cmd.Context(), &ksef.PersonRemoveRequest{Nip: nip}); err != nil {
				return err
			}
			return done(f, "Person "+nip+" removed")
		},
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	return cmd
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctxID, who, err := sf.parties()
			if err != nil {
				return err
			}
			req := &ksef.TestDataPermissionsGrantRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who}
			for _, p := range perms {
				v, ok := cli.MatchValue(p, permissions...)
				if !ok {
					return fmt.Errorf("--permission %q: want one of %s", p, strings.Join(permissions, ", "))
				}
				req.Permissions = append(req.Permissions, ksef.TestDataPermission{PermissionType: ksef.TestDataPermissionType(v), Description: desc})
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.GrantPermissions(cmd.Context(), req); err != nil {
				return err
			}
			return done(f, "Permissions granted to "+who.Value+" in "+sf.ctxNIP)
		},
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctxID, who, err := sf.parties()
			if err != nil {
				return err
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.RevokePermissions(cmd.Context(), &ksef.TestDataPermissionsRevokeRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who}); err != nil {
				return err
			}
			return done(f, "Permissions of "+who.Value+" in "+sf.ctxNIP+" revoked")
		},
	}
	sf.add(cmd)
	return cmd
}

func newAttachmentsCmd(f *cli.Factory, enable bool) *cobra.Command {
	var nip, end string
	cmd := &cobra.Command{Use: "enable --nip NIP", Short: "Allow invoices with attachments for a NIP", Args: cobra.NoArgs}
	if enable {
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.EnableAttachments(cmd.Context(), &ksef.AttachmentPermissionGrantRequest{Nip: nip}); err != nil {
				return err
			}
			return done(f, "Attachments enabled for "+nip)
		}
	} else {
		cmd.Use, cmd.Short = "revoke --nip NIP [--end-date YYYY-MM-DD]", "Stop invoices with attachments for a NIP (from --end-date, default now)"
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.RevokeAttachments(cmd.Context(), &ksef.AttachmentPermissionRevokeRequest{Nip: nip, ExpectedEndDate: end}); err != nil {
				return err
			}
			return done(f, "Attachments revoked for "+nip)
		}
		cmd.Flags().StringVar(&end, "end-date", "", "date the permission ends (YYYY-MM-DD; default now)")
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	return cmd
}

func newBlockCmd(f *cli.Factory, block bool) *cobra.Command {
	var typ, value string
	target := func() (*ksef.TestDataAuthenticationContextIdentifier, error) {
		t, ok := cli.MatchValue(typ, contextTypes...)
		if !ok {
			return nil, fmt.Errorf("--context-type %q: want one of %s", typ, strings.Join(contextTypes, ", "))
		}
		return &ksef.TestDataAuthenticationContextIdentifier{Type: ident.Type(t), Value: value}, nil
	}
	cmd := &cobra.Command{Use: "block --context VALUE [--context-type Nip]", Short: "Block authentication in a context (status 480)", Args: cobra.NoArgs}
	if block {
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			id, err := target()
			if err != nil {
				return err
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.BlockContext(cmd.Context(), &ksef.BlockContextAuthenticationRequest{ContextIdentifier: id}); err != nil {
				return err
			}
			return done(f, "Context "+value+" blocked")
		}
	} else {
		cmd.Use, cmd.Short = "unblock --context VALUE [--context-type Nip]", "Unblock authentication in a context"
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			id, err := target()
			if err != nil {
				return err
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := c.TestData.UnblockContext(cmd.Context(), &ksef.UnblockContextAuthenticationRequest{ContextIdentifier: id}); err != nil {
				return err
			}
			return done(f, "Context "+value+" unblocked")
		}
	}
	cmd.Flags().StringVar(&value, "context", "", "context identifier")
	cmd.Flags().StringVar(&typ, "context-type", "Nip", "Nip, InternalId, NipVatUe or PeppolId")
	_ = cmd.MarkFlagRequired("context")
	cli.CompleteValues(cmd, "context-type", contextTypes...)
	return cmd
}
