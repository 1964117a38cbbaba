// CotrainFederation: node home, peers and approvals, TLS transport, wire protocol, deltas, aggregation, rounds.
import CotrainCore
