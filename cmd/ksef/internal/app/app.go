// Package app assembles the ksef command: the list of command areas
// registered on the root command, and Main.
package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/authcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/certcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/collectivecmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/democmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/exportcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/invoicecmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/limitscmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/mcpcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/numbercmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/offlinecmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/peppolcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/permissioncmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/qrcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/sendcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/sessioncmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/simcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/synccmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/testdatacmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/tokencmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/upocmd"
)

// Areas are the command areas of ksef, in the order of the help text. A
// new area is one package under cmd/ksef/internal and one line here.
//
// The default --timeout of an area's commands is [cli.DefaultTimeout]
// unless the area sets its own; the areas that work offline or run until
// stopped (the simulator, the demo against the embedded simulator) have
// none.
var Areas = []cli.Area{
	untimed(cli.NewVersionCmd),
	authcmd.New,
	sendcmd.New,
	sessioncmd.New,
	upocmd.New,
	tokencmd.New,
	permissioncmd.New,
	certcmd.New,
	limitscmd.New,
	collectivecmd.New,
	peppolcmd.New,
	testdatacmd.New,
	exportcmd.New,
	untimed(synccmd.New),
	untimed(synccmd.NewDB),
	untimed(simcmd.New),
	untimed(democmd.New),
	untimed(invoicecmd.New),
	untimed(qrcmd.New),
	untimed(numbercmd.New),
	untimed(offlinecmd.New),
	offlinecmd.NewStatus,
	untimed(mcpcmd.New),
}

// untimed gives the commands of area no default --timeout.
func untimed(area cli.Area) cli.Area {
	return func(f *cli.Factory) *cobra.Command { return cli.SetTimeout(area(f), cli.NoTimeout) }
}

// NewRoot builds the ksef command with every area around f.
func NewRoot(f *cli.Factory) *cobra.Command {
	return cli.NewRoot(f, Areas...)
}

// Main runs ksef with args (without the program name) in ctx, printing an
// error as "ksef: <message>" to f's stderr. It returns the exit status.
func Main(ctx context.Context, f *cli.Factory, args []string) int {
	if err := cli.Execute(ctx, f, NewRoot(f), args); err != nil {
		fmt.Fprintln(f.Stderr, cli.ErrorMessage(err))
		return 1
	}
	return 0
}
