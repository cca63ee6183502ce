package permissioncmd

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ident"
)

// QueryResult is the -o json output of the `ksef permission query`
// commands: the items of one page (or of every page with --all).
type QueryResult[T any] struct {
	Items []T `json:"items"`
	// HasMore is set when a later page exists (never with --all).
	HasMore bool `json:"hasMore"`
}

// pageFlags are the paging flags of the queries.
type pageFlags struct {
	page, size int
	all        bool
}

func (p *pageFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.page, "page", 0, "page number (from 0)")
	cmd.Flags().IntVar(&p.size, "page-size", 0, "page size (10-100; default 10)")
	cmd.Flags().BoolVar(&p.all, "all", false, "every page from --page on")
}

func (p *pageFlags) params() *ksef.PermissionsPageParams {
	return &ksef.PermissionsPageParams{PageOffset: p.page, PageSize: p.size}
}

// runQuery fetches one page (page) or all pages (all) and emits them with
// the text rows of row.
func runQuery[T any](cmd *cobra.Command, f *cli.Factory, pf *pageFlags, header string, row func(T) []string,
	page func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]T, bool, error),
	all func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[T, error]) error {
	s, err := f.Session()
	if err != nil {
		return err
	}
	var res QueryResult[T]
	res.Items, res.HasMore, err = cli.Collect(pf.all, all(cmd.Context(), s.Client, pf.params()),
		func() ([]T, bool, error) { return page(cmd.Context(), s.Client, pf.params()) })
	if err != nil {
		return cli.RefreshError(err)
	}
	return f.Emit(res, func(w io.Writer) {
		rows := make([][]string, len(res.Items))
		for i, it := range res.Items {
			rows[i] = row(it)
		}
		table(w, header, rows)
		if res.HasMore {
			fmt.Fprintln(w, "more on the next page (--page, or --all)")
		}
	})
}

// queryCmd builds a query command with no flags but the paging ones.
func queryCmd[T any](f *cli.Factory, use, short, header string, row func(T) []string,
	page func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]T, bool, error),
	all func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[T, error]) *cobra.Command {
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQuery(cmd, f, &pf, header, row, page, all)
		},
	}
	pf.add(cmd)
	return cmd
}

func date(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func idStr(id *ident.Identifier) string {
	if id == nil {
		return "-"
	}
	return string(id.Type) + ":" + id.Value
}

func newQueryCmd(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "List permissions: personal, persons, subunits, entities, roles, subordinates, authorizations, eu",
	}
	cmd.AddCommand(newQueryPersonalCmd(f), newQueryPersonsCmd(f), newQuerySubunitsCmd(f), newQueryEntitiesCmd(f),
		newQueryRolesCmd(f), newQuerySubordinatesCmd(f), newQueryAuthorizationsCmd(f), newQueryEUCmd(f))
	return cli.SetTimeout(cmd, cli.StatusTimeout)
}

func newQueryPersonalCmd(f *cli.Factory) *cobra.Command {
	return queryCmd(f, "personal", "Your own permissions in the profile's context", "ID\tSCOPE\tCONTEXT\tTARGET\tSTATE\tSTART",
		func(p ksef.PersonalPermission) []string {
			target := "-"
			if p.TargetIdentifier != nil {
				target = string(p.TargetIdentifier.Type) + ":" + p.TargetIdentifier.Value
			}
			return []string{p.ID, string(p.PermissionScope), idStr(p.ContextIdentifier), target, string(p.PermissionState), date(p.StartDate)}
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.PersonalPermission, bool, error) {
			r, err := a.Permissions.QueryPersonal(ctx, nil, p)
			if err != nil {
				return nil, false, err
			}
			return r.Permissions, r.HasMore, nil
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.PersonalPermission, error] {
			return a.Permissions.QueryPersonalAll(ctx, nil, p)
		})
}

func newQueryPersonsCmd(f *cli.Factory) *cobra.Command {
	var (
		pf      pageFlags
		granted bool
		subject string
	)
	cmd := &cobra.Command{
		Use:   "persons",
		Short: "Permissions of persons and entities in the profile's context (--granted: those you granted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}
			if granted {
				req.QueryType = ksef.PersonPermissionsQueryTypePermissionsGrantedInCurrentContext
			}
			if subject != "" {
				id, err := parseIdent("subject", subject, subjectTypes...)
				if err != nil {
					return err
				}
				req.AuthorizedIdentifier = &id
			}
			return runQuery(cmd, f, &pf, "ID\tSCOPE\tAUTHORIZED\tCONTEXT\tAUTHOR\tDELEGATE\tSTART",
				func(p ksef.PersonPermission) []string {
					author := string(p.AuthorIdentifier.Type) + ":" + p.AuthorIdentifier.Value
					return []string{p.ID, string(p.PermissionScope), idStr(&p.AuthorizedIdentifier), idStr(p.ContextIdentifier), author,
						strconv.FormatBool(p.CanDelegate), date(p.StartDate)}
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.PersonPermission, bool, error) {
					r, err := a.Permissions.QueryPersons(ctx, req, p)
					if err != nil {
						return nil, false, err
					}
					return r.Permissions, r.HasMore, nil
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.PersonPermission, error] {
					return a.Permissions.QueryPersonsAll(ctx, req, p)
				})
		},
	}
	pf.add(cmd)
	cmd.Flags().BoolVar(&granted, "granted", false, "the permissions you granted (instead of all in force in the context)")
	cmd.Flags().StringVar(&subject, "subject", "", "only those of nip:VALUE, pesel:VALUE or fingerprint:VALUE")
	_ = cmd.RegisterFlagCompletionFunc("subject", completeValues("nip:", "pesel:", "fingerprint:"))
	return cmd
}

func newQuerySubunitsCmd(f *cli.Factory) *cobra.Command {
	return queryCmd(f, "subunits", "Administrators of subunits and subordinate entities granted from the profile's context", "ID\tSUBUNIT\tNAME\tAUTHORIZED\tSTART",
		func(p ksef.SubunitPermission) []string {
			return []string{p.ID, idStr(&p.SubunitIdentifier), p.SubunitName, idStr(&p.AuthorizedIdentifier), date(p.StartDate)}
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.SubunitPermission, bool, error) {
			r, err := a.Permissions.QuerySubunits(ctx, nil, p)
			if err != nil {
				return nil, false, err
			}
			return r.Permissions, r.HasMore, nil
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.SubunitPermission, error] {
			return a.Permissions.QuerySubunitsAll(ctx, nil, p)
		})
}

func newQueryEntitiesCmd(f *cli.Factory) *cobra.Command {
	return queryCmd(f, "entities", "Invoice permissions other entities granted to the profile's entity", "ID\tSCOPE\tFROM\tDELEGATE\tSTART",
		func(p ksef.EntityPermissionItem) []string {
			return []string{p.ID, string(p.PermissionScope), idStr(&p.ContextIdentifier), strconv.FormatBool(p.CanDelegate), date(p.StartDate)}
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.EntityPermissionItem, bool, error) {
			r, err := a.Permissions.QueryEntities(ctx, nil, p)
			if err != nil {
				return nil, false, err
			}
			return r.Permissions, r.HasMore, nil
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.EntityPermissionItem, error] {
			return a.Permissions.QueryEntitiesAll(ctx, nil, p)
		})
}

func newQueryRolesCmd(f *cli.Factory) *cobra.Command {
	return queryCmd(f, "roles", "Roles of the profile's entity (CourtBailiff, EnforcementAuthority, VatGroupUnit, …)", "ROLE\tPARENT\tDESCRIPTION\tSTART",
		func(p ksef.EntityRole) []string {
			return []string{string(p.Role), idStr(p.ParentEntityIdentifier), p.Description, date(p.StartDate)}
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.EntityRole, bool, error) {
			r, err := a.Permissions.QueryEntityRoles(ctx, p)
			if err != nil {
				return nil, false, err
			}
			return r.Roles, r.HasMore, nil
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.EntityRole, error] {
			return a.Permissions.QueryEntityRolesAll(ctx, p)
		})
}

func newQuerySubordinatesCmd(f *cli.Factory) *cobra.Command {
	return queryCmd(f, "subordinates", "Subordinate entities of the profile's entity (VAT-group members, subordinate JST)", "ENTITY\tROLE\tDESCRIPTION\tSTART",
		func(p ksef.SubordinateEntityRole) []string {
			return []string{idStr(&p.SubordinateEntityIdentifier), string(p.Role), p.Description, date(p.StartDate)}
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.SubordinateEntityRole, bool, error) {
			r, err := a.Permissions.QuerySubordinateEntityRoles(ctx, nil, p)
			if err != nil {
				return nil, false, err
			}
			return r.Roles, r.HasMore, nil
		},
		func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.SubordinateEntityRole, error] {
			return a.Permissions.QuerySubordinateEntityRolesAll(ctx, nil, p)
		})
}

func newQueryAuthorizationsCmd(f *cli.Factory) *cobra.Command {
	var (
		pf      pageFlags
		granted bool
	)
	cmd := &cobra.Command{
		Use:   "authorizations",
		Short: "Entity authorizations the profile's entity received (--granted: granted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeReceived}
			if granted {
				req.QueryType = ksef.QueryTypeGranted
			}
			return runQuery(cmd, f, &pf, "ID\tSCOPE\tAUTHORIZING\tAUTHORIZED\tSTART",
				func(p ksef.EntityAuthorizationGrant) []string {
					return []string{p.ID, string(p.AuthorizationScope), idStr(&p.AuthorizingEntityIdentifier), idStr(&p.AuthorizedEntityIdentifier), date(p.StartDate)}
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.EntityAuthorizationGrant, bool, error) {
					r, err := a.Permissions.QueryAuthorizations(ctx, req, p)
					if err != nil {
						return nil, false, err
					}
					return r.AuthorizationGrants, r.HasMore, nil
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.EntityAuthorizationGrant, error] {
					return a.Permissions.QueryAuthorizationsAll(ctx, req, p)
				})
		},
	}
	pf.add(cmd)
	cmd.Flags().BoolVar(&granted, "granted", false, "the authorizations the entity granted (instead of received)")
	return cmd
}

func newQueryEUCmd(f *cli.Factory) *cobra.Command {
	var (
		pf    pageFlags
		vatUe string
	)
	cmd := &cobra.Command{
		Use:   "eu",
		Short: "Permissions of EU-entity administrators and representatives",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ksef.EuEntityPermissionsQueryRequest{VatUeIdentifier: vatUe}
			return runQuery(cmd, f, &pf, "ID\tSCOPE\tVAT UE\tFINGERPRINT\tSTART",
				func(p ksef.EuEntityPermission) []string {
					return []string{p.ID, string(p.PermissionScope), p.VatUeIdentifier, p.AuthorizedFingerprintIdentifier, date(p.StartDate)}
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) ([]ksef.EuEntityPermission, bool, error) {
					r, err := a.Permissions.QueryEUEntities(ctx, req, p)
					if err != nil {
						return nil, false, err
					}
					return r.Permissions, r.HasMore, nil
				},
				func(ctx context.Context, a *ksef.AuthenticatedClient, p *ksef.PermissionsPageParams) iter.Seq2[ksef.EuEntityPermission, error] {
					return a.Permissions.QueryEUEntitiesAll(ctx, req, p)
				})
		},
	}
	pf.add(cmd)
	cmd.Flags().StringVar(&vatUe, "vat-ue", "", "only the EU entity with this VAT UE number")
	return cmd
}
