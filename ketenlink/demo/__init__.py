"""``make demo``: the platform's main job on a realistic generated scenario.

Stack up, topics and schema applied; the faust worker, the graph sink, the router, the alert
engine, the HTTP gateway and the analysts' explorer started as child processes; a fresh explorer
login ``demo-analyst`` (RIEC) created. A scenario is generated (rings among innocent records,
noise, resends, revisions, invalid lines, and the ground truth of every line); its partner
references get the run id appended, so that a second run on the same stack is new to the
stream's deduplication instead of a revision of the first. KvK and healthcare publish their
native exports the way ``ketenlink publish`` does, RIEC and Stichting M. post through the
gateway with their own tokens; two hand-broken records show the intake parking bad input.
Progress is shown live while the stream, the graph sink and the alert engine catch up; if
nothing moves for a few minutes the demo fails, naming the services' logs.

The summary is measured, never assumed: records acknowledged, lines refused at the source and
records parked by the stream (with reasons), resends suppressed and revisions (this run's
records on ``signals.resolved`` against what was published, beside the ground truth), entities
resolved, the rings the analysts' ring search finds and how many of the true rings they
recover, alerts proposed, deliveries per partner, and the explorer's URL with the login. Then
it keeps everything running until Ctrl-C (``--no-wait``: it stops right after the summary);
every child process is stopped on the way out, whenever the Ctrl-C comes.

The modules: ``run`` (the job end to end), ``services`` (the child processes), ``scenario``
(generating and publishing), ``pipeline`` and ``progress`` (waiting for the stream and the
graph), ``readback`` (results read back from Kafka and Neo4j), ``truth`` (measures against the
ground truth), ``summary`` (printing it), ``records`` (what the steps hand on), ``errors``.
"""

from ketenlink.demo.run import run_demo

__all__ = ["run_demo"]
