import Foundation
import NXRunner

// nxrun: see `Runner` (NXRunner) for everything it does.
exit(Runner().main(Array(CommandLine.arguments.dropFirst())))
