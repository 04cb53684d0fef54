namespace OrleansSync.Diagnostics;

/// <summary>The <c>type</c> tag values of the active-grains gauge.</summary>
public static class GrainKinds
{
    /// <summary><see cref="Delivery.SessionGrain"/>.</summary>
    public const string Session = "session";

    /// <summary><see cref="Delivery.UserGrain"/>.</summary>
    public const string User = "user";

    /// <summary><see cref="Conversations.ConversationGrain"/>.</summary>
    public const string Conversation = "conversation";

    /// <summary><see cref="Cluster.SweeperGrain"/> (one per silo node; 0 for a moment when idle collection or a crash took it, until its reminder brings it back).</summary>
    public const string Sweeper = "sweeper";

    /// <summary>Every kind, listed by the gauge from the start.</summary>
    public static readonly string[] All = [Session, User, Conversation, Sweeper];
}
