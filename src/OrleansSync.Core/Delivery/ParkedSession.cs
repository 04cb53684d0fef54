using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// What a parked session keeps while its grain is out of memory (SessionGrain.Parking.cs): the claimed record with its
/// epoch, its socket, the next queue sequence, the pushes made to the socket so far (the gateway keeps their order),
/// and its grain reference. Nothing is queued: a session parks only with an empty queue.
/// </summary>
internal sealed record ParkedSession(SessionRecord Record, SocketLink Socket, long NextSequence, long Pushes, ISessionGrain Reference);
