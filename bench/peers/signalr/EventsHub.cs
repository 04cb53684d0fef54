using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace OrleansSync.Bench.SignalR;

/// <summary>
/// The hub every tab connects to: it joins the group of its user (the token's <c>sub</c>) and is told
/// <c>ready</c>, so the client knows publishes reach it (as the node's <c>auth_ok</c> does). <see cref="Ack"/> is the
/// application-level ack a SignalR user adds: it is received and dropped, nothing is tracked or re-sent.
/// </summary>
[Authorize]
public sealed class EventsHub : Hub
{
    public static string GroupOf(string userId) => "user:" + userId;

    public override async Task OnConnectedAsync()
    {
        var userId = Context.User?.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(userId))
        {
            Context.Abort(); // a token without sub: nobody to deliver to
            return;
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(userId));
        await Clients.Caller.SendAsync("ready");
    }

    public void Ack(string eventId)
    {
        // Read and dropped: SignalR has no per-message delivery tracking to feed.
    }
}
