//go:build tools

package ksef

import (
	_ "github.com/beevik/etree"
	_ "github.com/boombuler/barcode"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/makiuchi-d/gozxing"
	_ "github.com/russellhaering/goxmldsig"
	_ "github.com/signintech/gopdf"
	_ "github.com/spf13/cobra"
	_ "github.com/youmark/pkcs8"
	_ "golang.org/x/image/font/gofont/goregular"
	_ "golang.org/x/term"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
	_ "software.sslmate.com/src/go-pkcs12"
)
