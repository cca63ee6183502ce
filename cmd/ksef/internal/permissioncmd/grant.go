package permissioncmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ident"
)

// Permission names offered for completion, per grant family.
var (
	personPerms = []string{"InvoiceRead", "InvoiceWrite", "CredentialsRead", "CredentialsManage", "Introspection",
		"SubunitManage", "EnforcementOperations", "CollectiveIdentifierManage"}
	entityPerms = []string{"InvoiceRead", "InvoiceWrite", "CollectiveIdentifierManage"}
	authPerms   = []string{"SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing"}
	euRepPerms  = []string{"InvoiceRead", "InvoiceWrite"}
)

func newGrantCmd(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grant",
		Short: "Grant permissions (waits for the operation's outcome unless --wait=false)",
	}
	cmd.AddCommand(newGrantPersonCmd(f), newGrantEntityCmd(f), newGrantAuthorizationCmd(f), newGrantIndirectCmd(f),
		newGrantSubunitCmd(f), newGrantEUAdminCmd(f), newGrantEURepCmd(f))
	return cmd
}

// personFlags describe the person who receives a grant: the details
// variant follows from the subject's type and the flags given.
type personFlags struct {
	first, last       string
	idOf              string // for a fingerprint subject with NIP or PESEL: nip:…|pesel:…
	birth             string
	docType, docNo    string
	docCountry        string
	entity, entityAdr string // EU grants: an entity by its seal's fingerprint
}

func (p *personFlags) add(fs *pflag.FlagSet, eu bool) {
	fs.StringVar(&p.first, "first-name", "", "first name of the person")
	fs.StringVar(&p.last, "last-name", "", "last name of the person")
	fs.StringVar(&p.idOf, "person-id", "", "fingerprint subject with a NIP or PESEL: nip:VALUE or pesel:VALUE")
	fs.StringVar(&p.birth, "birth-date", "", "fingerprint subject without NIP or PESEL: birth date (YYYY-MM-DD)")
	fs.StringVar(&p.docType, "doc-type", "", "… and identity document type (e.g. passport)")
	fs.StringVar(&p.docNo, "doc-number", "", "… and identity document number")
	fs.StringVar(&p.docCountry, "doc-country", "", "… and identity document country (ISO 3166 alpha-2)")
	if eu {
		fs.StringVar(&p.entity, "entity-name", "", "the subject is an entity (seal): its full name")
		fs.StringVar(&p.entityAdr, "entity-address", "", "… and its address")
	}
}

// person builds the person details for subject.
func (p *personFlags) person(subject ident.Identifier) (ksef.PersonPermissionSubjectDetails, error) {
	if p.first == "" || p.last == "" {
		return ksef.PersonPermissionSubjectDetails{}, fmt.Errorf("--first-name and --last-name are required")
	}
	if subject.Type != ident.TypeFingerprint {
		return ksef.PersonByIdentifier(p.first, p.last), nil
	}
	if p.idOf != "" {
		id, err := parseIdent("person-id", p.idOf, ident.TypeNip, ident.TypePesel)
		if err != nil {
			return ksef.PersonPermissionSubjectDetails{}, err
		}
		return ksef.PersonByFingerprintWithIdentifier(p.first, p.last, id), nil
	}
	if p.birth == "" || p.docType == "" || p.docNo == "" || p.docCountry == "" {
		return ksef.PersonPermissionSubjectDetails{}, fmt.Errorf("a fingerprint subject needs --person-id, or --birth-date, --doc-type, --doc-number and --doc-country")
	}
	return ksef.PersonByFingerprintWithoutIdentifier(p.first, p.last, p.birth,
		ksef.IdDocument{Type: p.docType, Number: p.docNo, Country: strings.ToUpper(p.docCountry)}), nil
}

// eu builds the subject details of an EU grant.
func (p *personFlags) eu() (ksef.EuEntityPermissionSubjectDetails, error) {
	if p.entity != "" {
		return ksef.EUEntityByFingerprint(p.entity, p.entityAdr), nil
	}
	d, err := p.person(ident.Identifier{Type: ident.TypeFingerprint})
	if err != nil {
		return ksef.EuEntityPermissionSubjectDetails{}, fmt.Errorf("%w (or --entity-name for an entity)", err)
	}
	out := ksef.EuEntityPermissionSubjectDetails{SubjectDetailsType: ksef.EuEntityPermissionSubjectDetailsType(d.SubjectDetailsType),
		PersonByFpWithID: d.PersonByFpWithID, PersonByFpNoID: d.PersonByFpNoID}
	return out, nil
}

// grantRun wraps the body of a grant command.
func grantRun(f *cli.Factory, wait *bool, start func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		return runOperation(cmd.Context(), f, *wait, start)
	}
}

// commonFlags adds --wait and --description.
func commonFlags(cmd *cobra.Command, wait *bool, desc *string) {
	cmd.Flags().BoolVar(wait, "wait", true, "wait for the operation's outcome; fail if it failed")
	cmd.Flags().StringVar(desc, "description", "", "description of the grant (5-256 characters)")
	_ = cmd.MarkFlagRequired("description")
}

// permsFlag adds a repeatable --perm with completion.
func permsFlag(cmd *cobra.Command, perms *[]string, values []string, usage string) {
	cmd.Flags().StringSliceVar(perms, "perm", nil, usage+" (repeatable or comma-separated: "+strings.Join(values, ", ")+")")
	_ = cmd.MarkFlagRequired("perm")
	_ = cmd.RegisterFlagCompletionFunc("perm", completeValues(values...))
}

// canonical returns the spelling of v in values (case-insensitive).
func canonical(flag, v string, values []string) (string, error) {
	for _, x := range values {
		if strings.EqualFold(v, x) {
			return x, nil
		}
	}
	return "", fmt.Errorf("--%s %q: want one of %s", flag, v, strings.Join(values, ", "))
}

func canonicalAll[T ~string](flag string, vs []string, values []string) ([]T, error) {
	out := make([]T, 0, len(vs))
	for _, v := range vs {
		c, err := canonical(flag, v, values)
		if err != nil {
			return nil, err
		}
		out = append(out, T(c))
	}
	return out, nil
}

var subjectTypes = []ident.Type{ident.TypeNip, ident.TypePesel, ident.TypeFingerprint}

func subjectFlag(cmd *cobra.Command, s *string, usage string) {
	cmd.Flags().StringVar(s, "subject", "", usage)
	_ = cmd.MarkFlagRequired("subject")
	_ = cmd.RegisterFlagCompletionFunc("subject", completeValues("nip:", "pesel:", "fingerprint:"))
}

// personGrant parses what the person and indirect grants share, in this
// order: the subject (--subject), the permissions (--perm, of allowed) and
// the person details for that subject.
func personGrant[T ~string](subject string, perms, allowed []string, pf *personFlags) (ident.Identifier, []T, ksef.PersonPermissionSubjectDetails, error) {
	var d ksef.PersonPermissionSubjectDetails
	sub, err := parseIdent("subject", subject, subjectTypes...)
	if err != nil {
		return sub, nil, d, err
	}
	list, err := canonicalAll[T]("perm", perms, allowed)
	if err != nil {
		return sub, nil, d, err
	}
	d, err = pf.person(sub)
	return sub, list, d, err
}

func newGrantPersonCmd(f *cli.Factory) *cobra.Command {
	var (
		wait          bool
		desc, subject string
		perms         []string
		pf            personFlags
	)
	cmd := &cobra.Command{
		Use:   "person",
		Short: "Grant a person (NIP, PESEL or certificate fingerprint) permissions in the profile's context",
		Example: `  ksef permission grant person --subject pesel:44051401359 --perm InvoiceRead,InvoiceWrite \
    --first-name Jan --last-name Nowak --description "accountant"`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		sub, list, d, err := personGrant[ksef.PersonPermissionType](subject, perms, personPerms, &pf)
		if err != nil {
			return nil, err
		}
		return a.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: sub, Permissions: list, Description: desc, SubjectDetails: d})
	})
	subjectFlag(cmd, &subject, "the person: nip:VALUE, pesel:VALUE or fingerprint:SHA256HEX")
	permsFlag(cmd, &perms, personPerms, "permission to grant")
	commonFlags(cmd, &wait, &desc)
	pf.add(cmd.Flags(), false)
	return cmd
}

func newGrantEntityCmd(f *cli.Factory) *cobra.Command {
	var (
		wait            bool
		desc, nip, name string
		perms, delegate []string
	)
	cmd := &cobra.Command{
		Use:   "entity",
		Short: "Grant an entity (NIP) permissions to handle the invoices of the profile's context",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		list, err := canonicalAll[ksef.EntityPermissionType]("perm", perms, entityPerms)
		if err != nil {
			return nil, err
		}
		del, err := canonicalAll[ksef.EntityPermissionType]("delegate", delegate, entityPerms)
		if err != nil {
			return nil, err
		}
		var ps []ksef.EntityPermission
		for _, p := range list {
			can := false
			for _, d := range del {
				can = can || d == p
			}
			ps = append(ps, ksef.EntityPermission{Type: p, CanDelegate: &can})
		}
		return a.Permissions.GrantEntities(ctx, &ksef.EntityPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: nip}, Permissions: ps, Description: desc,
			SubjectDetails: ksef.EntityDetails{FullName: name}})
	})
	cmd.Flags().StringVar(&nip, "nip", "", "NIP of the entity")
	cmd.Flags().StringVar(&name, "name", "", "full name of the entity")
	_ = cmd.MarkFlagRequired("nip")
	_ = cmd.MarkFlagRequired("name")
	permsFlag(cmd, &perms, entityPerms, "permission to grant")
	cmd.Flags().StringSliceVar(&delegate, "delegate", nil, "permissions (of --perm) the entity may pass on by indirect grants")
	_ = cmd.RegisterFlagCompletionFunc("delegate", completeValues(entityPerms...))
	commonFlags(cmd, &wait, &desc)
	return cmd
}

func newGrantAuthorizationCmd(f *cli.Factory) *cobra.Command {
	var (
		wait                     bool
		desc, subject, perm, nme string
	)
	cmd := &cobra.Command{
		Use:   "authorization",
		Short: "Grant an entity (NIP or Peppol id) an entity authorization: SelfInvoicing, RRInvoicing, TaxRepresentative, PefInvoicing",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		sub, err := parseIdent("subject", subject, ident.TypeNip, ident.TypePeppolID)
		if err != nil {
			return nil, err
		}
		p, err := canonical("perm", perm, authPerms)
		if err != nil {
			return nil, err
		}
		return a.Permissions.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{
			SubjectIdentifier: sub, Permission: ksef.EntityAuthorizationPermissionType(p), Description: desc,
			SubjectDetails: ksef.EntityDetails{FullName: nme}})
	})
	cmd.Flags().StringVar(&subject, "subject", "", "the entity: nip:VALUE or peppolid:VALUE")
	_ = cmd.MarkFlagRequired("subject")
	_ = cmd.RegisterFlagCompletionFunc("subject", completeValues("nip:", "peppolid:"))
	cmd.Flags().StringVar(&perm, "perm", "", "the authorization: "+strings.Join(authPerms, ", "))
	_ = cmd.MarkFlagRequired("perm")
	_ = cmd.RegisterFlagCompletionFunc("perm", completeValues(authPerms...))
	cmd.Flags().StringVar(&nme, "name", "", "full name of the entity")
	_ = cmd.MarkFlagRequired("name")
	commonFlags(cmd, &wait, &desc)
	return cmd
}

func newGrantIndirectCmd(f *cli.Factory) *cobra.Command {
	var (
		wait                  bool
		desc, subject, target string
		perms                 []string
		pf                    personFlags
	)
	cmd := &cobra.Command{
		Use:   "indirect",
		Short: "As an intermediary, let a person handle the invoices of one client (--target) or of all clients",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		sub, list, d, err := personGrant[ksef.IndirectPermissionType](subject, perms, entityPerms, &pf)
		if err != nil {
			return nil, err
		}
		req := &ksef.IndirectPermissionsGrantRequest{SubjectIdentifier: sub, Permissions: list, Description: desc, SubjectDetails: d}
		if target != "" && !strings.EqualFold(target, "all") {
			t, err := parseIdent("target", target, ident.TypeNip, ident.TypeInternalID)
			if err != nil {
				return nil, err
			}
			req.TargetIdentifier = &ksef.IndirectPermissionsTargetIdentifier{Type: t.Type, Value: t.Value}
		} else {
			req.TargetIdentifier = &ksef.IndirectPermissionsTargetIdentifier{Type: ident.TypeAllPartners}
		}
		return a.Permissions.GrantIndirect(ctx, req)
	})
	subjectFlag(cmd, &subject, "the person: nip:VALUE, pesel:VALUE or fingerprint:SHA256HEX")
	cmd.Flags().StringVar(&target, "target", "all", "the client: nip:VALUE or internalid:VALUE, or all")
	_ = cmd.RegisterFlagCompletionFunc("target", completeValues("all", "nip:", "internalid:"))
	permsFlag(cmd, &perms, entityPerms, "permission to grant")
	commonFlags(cmd, &wait, &desc)
	pf.add(cmd.Flags(), false)
	return cmd
}

func newGrantSubunitCmd(f *cli.Factory) *cobra.Command {
	var (
		wait                          bool
		desc, subject, unit, unitName string
		pf                            personFlags
	)
	cmd := &cobra.Command{
		Use:   "subunit",
		Short: "Make a person administrator (CredentialsManage) of a subunit (internal id) or subordinate entity (NIP)",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		sub, err := parseIdent("subject", subject, subjectTypes...)
		if err != nil {
			return nil, err
		}
		u, err := parseIdent("unit", unit, ident.TypeInternalID, ident.TypeNip)
		if err != nil {
			return nil, err
		}
		d, err := pf.person(sub)
		if err != nil {
			return nil, err
		}
		return a.Permissions.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: sub, ContextIdentifier: u,
			Description: desc, SubunitName: unitName, SubjectDetails: d})
	})
	subjectFlag(cmd, &subject, "the administrator: nip:VALUE, pesel:VALUE or fingerprint:SHA256HEX")
	cmd.Flags().StringVar(&unit, "unit", "", "the subunit: internalid:NIP-NNNNN (last digit a check digit) or nip:VALUE")
	_ = cmd.MarkFlagRequired("unit")
	_ = cmd.RegisterFlagCompletionFunc("unit", completeValues("internalid:", "nip:"))
	cmd.Flags().StringVar(&unitName, "unit-name", "", "name of the subunit (required for an internal id)")
	commonFlags(cmd, &wait, &desc)
	pf.add(cmd.Flags(), false)
	return cmd
}

func newGrantEUAdminCmd(f *cli.Factory) *cobra.Command {
	var (
		wait                          bool
		desc, fp, vatUe               string
		pf                            personFlags
		euEntityName, euEntityAddress string
	)
	cmd := &cobra.Command{
		Use:   "eu-admin",
		Short: "Make the holder of a certificate (fingerprint) administrator of an EU entity (context NIP-VATUE)",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		d, err := pf.eu()
		if err != nil {
			return nil, err
		}
		return a.Permissions.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: fp},
			ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: vatUe},
			Description:       desc, EuEntityName: euEntityName + ", " + euEntityAddress, SubjectDetails: d,
			EuEntityDetails: ksef.EuEntityDetails{FullName: euEntityName, Address: euEntityAddress}})
	})
	cmd.Flags().StringVar(&fp, "fingerprint", "", "SHA-256 fingerprint of the administrator's certificate")
	cmd.Flags().StringVar(&vatUe, "context", "", "the composite context NIP-VATUE (the profile's NIP and the EU VAT number)")
	cmd.Flags().StringVar(&euEntityName, "eu-name", "", "name of the EU entity")
	cmd.Flags().StringVar(&euEntityAddress, "eu-address", "", "address of the EU entity")
	for _, n := range []string{"fingerprint", "context", "eu-name", "eu-address"} {
		_ = cmd.MarkFlagRequired(n)
	}
	commonFlags(cmd, &wait, &desc)
	pf.add(cmd.Flags(), true)
	return cmd
}

func newGrantEURepCmd(f *cli.Factory) *cobra.Command {
	var (
		wait     bool
		desc, fp string
		perms    []string
		pf       personFlags
	)
	cmd := &cobra.Command{
		Use:   "eu-rep",
		Short: "In an EU entity's context, grant a representative (fingerprint) InvoiceRead and/or InvoiceWrite",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = grantRun(f, &wait, func(ctx context.Context, a *ksef.AuthenticatedClient) (*ksef.PermissionsOperationResponse, error) {
		list, err := canonicalAll[ksef.EuEntityPermissionType]("perm", perms, euRepPerms)
		if err != nil {
			return nil, err
		}
		d, err := pf.eu()
		if err != nil {
			return nil, err
		}
		return a.Permissions.GrantEUEntityRepresentative(ctx, &ksef.EuEntityPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: fp}, Permissions: list,
			Description: desc, SubjectDetails: d})
	})
	cmd.Flags().StringVar(&fp, "fingerprint", "", "SHA-256 fingerprint of the representative's certificate")
	_ = cmd.MarkFlagRequired("fingerprint")
	permsFlag(cmd, &perms, euRepPerms, "permission to grant")
	commonFlags(cmd, &wait, &desc)
	pf.add(cmd.Flags(), true)
	return cmd
}
