import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain init`: creates a node home.
enum InitCommand {
    static let command = Command(
        name: "init",
        summary: "create a node home: config, identity (key + certificate), peers and state",
        help: """
            Usage: cotrain init [DIR | --home DIR] --lab NAME --embodiment E[,E...]
                                [--listen HOST:PORT] [--advertise HOST:PORT] [--validity-days N] [--json]

            Creates the node home DIR (default: $COTRAIN_HOME, else ./cotrain-node, as
            for every command that takes --home; it must not exist or be empty) with config.json, a new
            Ed25519 key (identity/node.key, 0600) and self-signed certificate, and the
            peers/, policies/ and state/ directories (all 0700). Prints the node id:
            read it to the admins of the labs you federate with.

            Options:
              DIR, --home DIR       the node home to create
              --lab NAME            your lab's name (1-64 characters), also the certificate's name
              --embodiment E        your robot: ur5e, panda, scara, gantry, hand, or a custom
                                    x-NAME (lower-case letters, digits, '-'); several: panda,ur5e
              --listen HOST:PORT    where the node listens (default 0.0.0.0:7443; IPv6: [::]:7443)
              --advertise HOST:PORT where peers dial it (default: this host's name and the listen port)
              --validity-days N     certificate validity (default 3650)

            Examples:
              cotrain init ./lab-a-node --lab lab-a --embodiment panda
              COTRAIN_HOME=/srv/cotrain cotrain init --lab lab-a --embodiment ur5e
              cotrain init /srv/cotrain --lab "Robot Lab B" --embodiment ur5e,x-kuka-iiwa \\
                  --listen [::]:7443 --advertise lab-b.example.org:7443
            """,
        run: { args, options in
            let lab = try args.option("--lab")
            let embodiment = try args.option("--embodiment")
            let listenText = try args.option("--listen") ?? "0.0.0.0:\(NodeEndpoint.defaultPort)"
            let advertiseText = try args.option("--advertise")
            let days = try args.int("--validity-days", default: Certificate.defaultValidityDays, range: 1...36500)
            let homeFlag = try args.option("--home")
            let positional = args.positional()
            if homeFlag != nil && positional != nil {
                throw UsageError(message: "give the node home once: DIR or --home DIR", command: "init")
            }
            let directory = NodeHome.resolve(flag: homeFlag ?? positional, environment: ProcessInfo.processInfo.environment).root
            guard let lab else { throw UsageError(message: "--lab NAME is required", command: "init") }
            guard let embodiment else { throw UsageError(message: "--embodiment E is required", command: "init") }
            let listen = try endpoint(listenText, flag: "--listen")
            let advertise = try advertiseText.map { try endpoint($0, flag: "--advertise") }
            let embodiments = embodiment.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let config = try NodeConfig(lab: lab, embodiments: embodiments, listen: listen, advertise: advertise, source: "cotrain init")
            try args.finish()
            let (home, certificate) = try NodeHome.create(at: directory, config: config, validityDays: days)
            let id = certificate.nodeID
            let join = "cotrain peers join \(config.advertise) --id \(id)"
            if options.json {
                print(JSONValue.object([
                    ("home", .string(home.root)), ("node_id", .string(id.description)), ("short", .string(id.short)),
                    ("hex", .string(id.digest.hex)), ("lab", .string(config.lab)),
                    ("embodiments", .array(config.embodiments.map { .string($0) })),
                    ("listen", .string(config.listen.description)), ("advertise", .string(config.advertise.description)),
                    ("join_command", .string(join)),
                ]).canonicalString)
                return ExitCode.ok
            }
            print("created node home \(home.root)")
            print("node id   \(id)")
            print("lab       \(config.lab)   embodiment \(config.embodiments.joined(separator: ", "))")
            print("listen    \(config.listen)   advertised as \(config.advertise)")
            if !options.quiet {
                print("""

                    Other labs join this node with:
                      \(join)
                    Back up \(home.keyPath) somewhere safe: it is this node's identity.
                    """)
            }
            return ExitCode.ok
        })

    /// Parses a HOST:PORT flag, reporting errors as usage errors naming the flag.
    static func endpoint(_ text: String, flag: String) throws -> NodeEndpoint {
        do {
            return try NodeEndpoint(parsing: text)
        } catch {
            throw UsageError(message: "\(flag): \(error)", command: "init")
        }
    }
}
