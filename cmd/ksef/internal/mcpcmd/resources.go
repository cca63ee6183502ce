package mcpcmd

import (
	"context"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// InvoiceURIPrefix starts the URI of an invoice resource:
// ksef://invoice/{ksefNumber}.
const InvoiceURIPrefix = "ksef://invoice/"

func (s *server) addResources(srv *mcp.Server) {
	srv.AddResourceTemplate(&mcp.ResourceTemplate{Name: "invoice", Title: "Invoice of the local store",
		URITemplate: InvoiceURIPrefix + "{ksefNumber}", MIMEType: "application/xml",
		Description: "An invoice of the local store as its XML, by KSeF number. Append .html for the rendered document."},
		func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			uri := req.Params.URI
			num, ok := strings.CutPrefix(uri, InvoiceURIPrefix)
			if !ok {
				return nil, mcp.ResourceNotFoundError(uri)
			}
			if base, ok := strings.CutSuffix(num, ".html"); ok {
				html, _, err := s.render(ctx, base, "html")
				if err != nil {
					return nil, s.resourceError(uri, err)
				}
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/html", Text: string(html)}}}, nil
			}
			inv, err := s.storeInvoice(ctx, num)
			if err != nil {
				return nil, s.resourceError(uri, err)
			}
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/xml", Text: string(inv.XML)}}}, nil
		})
}

// resourceError maps an unknown invoice to the protocol's not-found error.
func (s *server) resourceError(uri string, err error) error {
	s.log.Info("mcp resource", "uri", uri, "error", err.Error())
	if errors.Is(err, ErrNotFound) {
		return mcp.ResourceNotFoundError(uri)
	}
	return err
}
