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
	subject.AddCommand(newSubjectCreateCmd(f), newRemoveCmd(f, "subject", func(c *ksef.Client, cmd *cobra.Command, nip string) error {
		return c.TestData.RemoveSubject(cmd.Context(), &ksef.SubjectRemoveRequest{SubjectNip: nip})
	}))
	person := &cobra.Command{Use: "person", Short: "Create or remove a test person (NIP + PESEL, owner rights)"}
	person.AddCommand(newPersonCreateCmd(f), newRemoveCmd(f, "person", func(c *ksef.Client, cmd *cobra.Command, nip string) error {
		return c.TestData.RemovePerson(cmd.Context(), &ksef.PersonRemoveRequest{Nip: nip})
	}))
	att := &cobra.Command{Use: "attachments", Short: "Allow or stop invoices with attachments for a NIP"}
	att.AddCommand(newAttachmentsCmd(f, true), newAttachmentsCmd(f, false))
	cmd.AddCommand(subject, person, newGrantCmd(f, true), newGrantCmd(f, false), att, newBlockCmd(f, true), newBlockCmd(f, false))
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

func newRemoveCmd(f *cli.Factory, what string, remove func(*ksef.Client, *cobra.Command, string) error) *cobra.Command {
	var nip string
	cmd := &cobra.Command{
		Use:   "remove --nip NIP",
		Short: "Remove a test " + what,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if err := remove(c, cmd, nip); err != nil {
				return err
			}
			return done(f, strings.ToUpper(what[:1])+what[1:]+" "+nip+" removed")
		},
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	return cmd
}

func newGrantCmd(f *cli.Factory, grant bool) *cobra.Command {
	var ctxNIP, nip, pesel, fingerprint, desc string
	var perms []string
	use, short := "grant", "Grant permissions in a NIP context directly (as a ZAW-FA filing would)"
	if !grant {
		use, short = "revoke", "Revoke every test-data permission of a subject in a NIP context"
	}
	cmd := &cobra.Command{
		Use:   use + " --context NIP (--nip NIP | --pesel PESEL | --fingerprint SHA256)",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var who ksef.TestDataAuthorizedIdentifier
			switch {
			case nip != "":
				who = ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: nip}
			case pesel != "":
				who = ksef.TestDataAuthorizedIdentifier{Type: ident.TypePesel, Value: pesel}
			case fingerprint != "":
				who = ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: strings.ToUpper(fingerprint)}
			default:
				return fmt.Errorf("give --nip, --pesel or --fingerprint")
			}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			ctxID := ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: ctxNIP}
			if !grant {
				if err := c.TestData.RevokePermissions(cmd.Context(), &ksef.TestDataPermissionsRevokeRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who}); err != nil {
					return err
				}
				return done(f, "Permissions of "+who.Value+" in "+ctxNIP+" revoked")
			}
			req := &ksef.TestDataPermissionsGrantRequest{ContextIdentifier: ctxID, AuthorizedIdentifier: who}
			for _, p := range perms {
				v, ok := cli.MatchValue(p, permissions...)
				if !ok {
					return fmt.Errorf("--permission %q: want one of %s", p, strings.Join(permissions, ", "))
				}
				req.Permissions = append(req.Permissions, ksef.TestDataPermission{PermissionType: ksef.TestDataPermissionType(v), Description: desc})
			}
			if err := c.TestData.GrantPermissions(cmd.Context(), req); err != nil {
				return err
			}
			return done(f, "Permissions granted to "+who.Value+" in "+ctxNIP)
		},
	}
	cmd.Flags().StringVar(&ctxNIP, "context", "", "NIP of the context")
	cmd.Flags().StringVar(&nip, "nip", "", "the subject's NIP")
	cmd.Flags().StringVar(&pesel, "pesel", "", "the subject's PESEL")
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "the SHA-256 fingerprint of the subject's certificate")
	cmd.MarkFlagsMutuallyExclusive("nip", "pesel", "fingerprint")
	_ = cmd.MarkFlagRequired("context")
	if grant {
		cmd.Flags().StringArrayVar(&perms, "permission", nil, "permission (repeatable)")
		cmd.Flags().StringVar(&desc, "description", "granted by ksef testdata", "description of the permissions (5-256 characters)")
		_ = cmd.MarkFlagRequired("permission")
		cli.CompleteValues(cmd, "permission", permissions...)
	}
	return cmd
}

func newAttachmentsCmd(f *cli.Factory, enable bool) *cobra.Command {
	var nip, end string
	use := "enable"
	if !enable {
		use = "revoke"
	}
	cmd := &cobra.Command{
		Use:   use + " --nip NIP",
		Short: map[bool]string{true: "Allow invoices with attachments for a NIP", false: "Stop invoices with attachments for a NIP (optionally from --end-date)"}[enable],
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if enable {
				err = c.TestData.EnableAttachments(cmd.Context(), &ksef.AttachmentPermissionGrantRequest{Nip: nip})
			} else {
				err = c.TestData.RevokeAttachments(cmd.Context(), &ksef.AttachmentPermissionRevokeRequest{Nip: nip, ExpectedEndDate: end})
			}
			if err != nil {
				return err
			}
			return done(f, "Attachments "+map[bool]string{true: "enabled", false: "revoked"}[enable]+" for "+nip)
		},
	}
	cmd.Flags().StringVar(&nip, "nip", "", "NIP")
	_ = cmd.MarkFlagRequired("nip")
	if !enable {
		cmd.Flags().StringVar(&end, "end-date", "", "date the permission ends (YYYY-MM-DD; default now)")
	}
	return cmd
}

func newBlockCmd(f *cli.Factory, block bool) *cobra.Command {
	var typ, value string
	use := "block"
	if !block {
		use = "unblock"
	}
	cmd := &cobra.Command{
		Use:   use + " --context VALUE [--context-type Nip]",
		Short: map[bool]string{true: "Block authentication in a context (status 480)", false: "Unblock authentication in a context"}[block],
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, ok := cli.MatchValue(typ, contextTypes...)
			if !ok {
				return fmt.Errorf("--context-type %q: want one of %s", typ, strings.Join(contextTypes, ", "))
			}
			id := &ksef.TestDataAuthenticationContextIdentifier{Type: ident.Type(t), Value: value}
			c, err := f.PublicClient()
			if err != nil {
				return err
			}
			if block {
				err = c.TestData.BlockContext(cmd.Context(), &ksef.BlockContextAuthenticationRequest{ContextIdentifier: id})
			} else {
				err = c.TestData.UnblockContext(cmd.Context(), &ksef.UnblockContextAuthenticationRequest{ContextIdentifier: id})
			}
			if err != nil {
				return err
			}
			return done(f, "Context "+value+" "+use+"ed")
		},
	}
	cmd.Flags().StringVar(&value, "context", "", "context identifier")
	cmd.Flags().StringVar(&typ, "context-type", "Nip", "Nip, InternalId, NipVatUe or PeppolId")
	_ = cmd.MarkFlagRequired("context")
	cli.CompleteValues(cmd, "context-type", contextTypes...)
	return cmd
}
