// Package app assembles the ksef command: the list of command areas
// registered on the root command, and Main.
package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

// areas are the command areas of ksef, in the order of the help text, each
// with the name (and aliases) of the command it builds, so that a run
// builds only the area it needs (see [NewRootFor]). A new area is one
// package under cmd/ksef/internal and one line here; TestAreaNames checks
// the names against the commands.
//
// The default --timeout of an area's commands is [cli.DefaultTimeout]
// unless the area sets its own; the areas that work offline or run until
// stopped (the simulator, the demo against the embedded simulator) have
// none.
var areas = []namedArea{
	area("version", untimed(cli.NewVersionCmd)),
	area("auth", authcmd.New),
	area("send", sendcmd.New),
	area("session", sessioncmd.New),
	area("upo", upocmd.New),
	area("token", tokencmd.New),
	area("permission", permissioncmd.New, "permissions"),
	area("cert", certcmd.New),
	area("limits", limitscmd.New),
	area("collective", collectivecmd.New),
	area("peppol", peppolcmd.New),
	area("testdata", testdatacmd.New),
	area("export", exportcmd.New),
	area("sync", untimed(synccmd.New)),
	area("db", untimed(synccmd.NewDB)),
	area("sim", untimed(simcmd.New)),
	area("demo", untimed(democmd.New)),
	area("invoice", untimed(invoicecmd.New)),
	area("qr", untimed(qrcmd.New)),
	area("number", untimed(numbercmd.New)),
	area("offline", untimed(offlinecmd.New)),
	area("status", offlinecmd.NewStatus),
	area("mcp", untimed(mcpcmd.New)),
}

// namedArea is an area with the name and aliases of its top-level command.
type namedArea struct {
	name    string
	new     cli.Area
	aliases []string
}

func area(name string, new cli.Area, aliases ...string) namedArea {
	return namedArea{name: name, new: new, aliases: aliases}
}

// Areas are the command areas of ksef, in the order of the help text.
var Areas = func() []cli.Area {
	out := make([]cli.Area, len(areas))
	for i, a := range areas {
		out[i] = a.new
	}
	return out
}()

// untimed gives the commands of area no default --timeout.
func untimed(area cli.Area) cli.Area {
	return func(f *cli.Factory) *cobra.Command { return cli.SetTimeout(area(f), cli.NoTimeout) }
}

// NewRoot builds the ksef command with every area around f.
func NewRoot(f *cli.Factory) *cobra.Command {
	return cli.NewRoot(f, Areas...)
}

// NewRootFor builds the ksef command for one run with args: when args name
// an area's command, only that area is built, which is most of what
// start-up costs (`ksef version` builds one command, not some three
// hundred with their flags). Help, completion, a misspelt command (whose
// suggestions need every name) and no command at all get the whole tree.
func NewRootFor(f *cli.Factory, args []string) *cobra.Command {
	global := cli.NewRoot(&cli.Factory{}).PersistentFlags() // the global flags alone
	if a, ok := areaFor(commandName(global, args)); ok {
		return cli.NewRoot(f, a.new)
	}
	return NewRoot(f)
}

// areaFor returns the area whose command is called name.
func areaFor(name string) (namedArea, bool) {
	for _, a := range areas {
		if name == a.name || slices.Contains(a.aliases, name) {
			return a, true
		}
	}
	return namedArea{}, false
}

// commandName returns the first argument that is not one of the global
// flags fs or a global flag's value: the name of the top-level command
// cobra will run, or "" when there is none or a flag it does not know
// comes first.
func commandName(fs *pflag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return ""
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			return arg
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		var fl *pflag.Flag
		if strings.HasPrefix(arg, "--") {
			fl = fs.Lookup(name)
		} else if name != "" {
			fl = fs.ShorthandLookup(name[:1])
			hasValue = hasValue || len(name) > 1 // -ojson: the value attached
		}
		switch {
		case fl == nil:
			return ""
		case fl.NoOptDefVal == "" && !hasValue:
			i++ // the value is the next argument
		}
	}
	return ""
}

// Main runs ksef with args (without the program name) in ctx, printing an
// error as "ksef: <message>" to f's stderr. It returns the exit status.
func Main(ctx context.Context, f *cli.Factory, args []string) int {
	if err := cli.Execute(ctx, f, NewRootFor(f, args), args); err != nil {
		fmt.Fprintln(f.Stderr, cli.ErrorMessage(err))
		return 1
	}
	return 0
}
