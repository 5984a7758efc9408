"""The engine: claims queued jobs, walks their plans, and drives steps through the executors.

Decisions live in a pure state machine (`scheduler.Scheduler`, fed events, tested without
processes); the loop (`loop.Engine`) is the thin part that talks to the store and executors.
"""
