// The `cotrain` executable: parses arguments and calls library code; nothing else.
import CotrainCore

ignoreSIGPIPE()
exit(dispatch(Array(CommandLine.arguments.dropFirst()), root: RootCommand.command))
