namespace OrleansSync.Storage.Ado;

/// <summary>Statements of the room store (standard SQL that SQLite and PostgreSQL share; dialects override what differs).</summary>
public abstract partial class SqlDialect
{
    /// <summary>Insert a conversation.</summary>
    public virtual string InsertConversation =>
        "INSERT INTO conversations (id, church_id, content_type, content_id, title, allow_anonymous_posts, date_created) " +
        "VALUES (@id, @church_id, @content_type, @content_id, @title, @allow_anonymous_posts, @date_created)";

    /// <summary>@church_id, @id.</summary>
    public virtual string SelectConversation =>
        "SELECT id, church_id, content_type, content_id, title, allow_anonymous_posts, date_created FROM conversations WHERE church_id = @church_id AND id = @id";

    /// <summary>Insert or update a message by id (keeps its place in the order).</summary>
    public virtual string UpsertMessage =>
        "INSERT INTO messages (id, church_id, conversation_id, person_id, display_name, time_sent, message_type, content, time_updated) " +
        "VALUES (@id, @church_id, @conversation_id, @person_id, @display_name, @time_sent, @message_type, @content, @time_updated) " +
        "ON CONFLICT (id) DO UPDATE SET content = excluded.content, display_name = excluded.display_name, time_updated = excluded.time_updated";

    private const string MessageColumns = "id, church_id, conversation_id, person_id, display_name, time_sent, message_type, content, time_updated";

    /// <summary>@id.</summary>
    public virtual string SelectMessage => $"SELECT {MessageColumns} FROM messages WHERE id = @id";

    /// <summary>@church_id, @conversation_id, @limit: the newest messages, oldest first.</summary>
    public virtual string SelectMessages =>
        $"SELECT {MessageColumns} FROM (SELECT seq, {MessageColumns} FROM messages WHERE church_id = @church_id AND conversation_id = @conversation_id " +
        "ORDER BY seq DESC LIMIT @limit) newest ORDER BY seq";

    /// <summary>@id.</summary>
    public virtual string DeleteMessage => "DELETE FROM messages WHERE id = @id";

    /// <summary>@id: reactions of a deleted message.</summary>
    public virtual string DeleteReactionsOfMessage => "DELETE FROM reactions WHERE message_id = @id";

    /// <summary>@message_id, @person_id, @emoji.</summary>
    public virtual string DeleteReaction => "DELETE FROM reactions WHERE message_id = @message_id AND person_id = @person_id AND emoji = @emoji";

    /// <summary>@message_id, @person_id, @emoji.</summary>
    public virtual string InsertReaction => "INSERT INTO reactions (message_id, person_id, emoji) VALUES (@message_id, @person_id, @emoji)";

    /// <summary>@church_id, @conversation_id.</summary>
    public virtual string SelectConnections =>
        "SELECT id, church_id, conversation_id, person_id, display_name, socket_id, time_joined, node_id, session_id FROM connections " +
        "WHERE church_id = @church_id AND conversation_id = @conversation_id ORDER BY time_joined, id";

    /// <summary>Insert a connection row.</summary>
    public virtual string InsertConnection =>
        "INSERT INTO connections (id, church_id, conversation_id, person_id, display_name, socket_id, time_joined, node_id, session_id) " +
        "VALUES (@id, @church_id, @conversation_id, @person_id, @display_name, @socket_id, @time_joined, @node_id, @session_id)";

    /// <summary>@church_id, @conversation_id, @socket_id.</summary>
    public virtual string DeleteConnections =>
        "DELETE FROM connections WHERE church_id = @church_id AND conversation_id = @conversation_id AND socket_id = @socket_id";

    /// <summary>@church_id, @conversation_id, @socket_id, @display_name.</summary>
    public virtual string RenameConnections =>
        "UPDATE connections SET display_name = @display_name WHERE church_id = @church_id AND conversation_id = @conversation_id AND socket_id = @socket_id";

    /// <summary>@socket_id.</summary>
    public virtual string SelectRoomsOfSocket => "SELECT DISTINCT church_id, conversation_id FROM connections WHERE socket_id = @socket_id";

    /// <summary>@node_id.</summary>
    public virtual string SelectRoomsOfNode => "SELECT DISTINCT church_id, conversation_id FROM connections WHERE node_id = @node_id";

    /// <summary>@limit, @alerts → church_id, conversation_id, viewers, most viewers first.</summary>
    public virtual string SelectBusiestRooms =>
        "SELECT church_id, conversation_id, COUNT(*) AS viewers FROM connections WHERE conversation_id <> @alerts " +
        "GROUP BY church_id, conversation_id ORDER BY viewers DESC, church_id, conversation_id LIMIT @limit";

    /// <summary>@node_id.</summary>
    public virtual string DeleteConnectionsOfNode => "DELETE FROM connections WHERE node_id = @node_id";

    /// <summary>Insert a private message.</summary>
    public virtual string InsertPrivateMessage =>
        "INSERT INTO private_messages (id, church_id, from_person_id, from_display_name, to_person_id, content, time_sent) " +
        "VALUES (@id, @church_id, @from_person_id, @from_display_name, @to_person_id, @content, @time_sent)";

    /// <summary>@church_id, @person_id, @notifications, @pms: add to the counters, creating them at zero.</summary>
    public virtual string AddToCounts =>
        "INSERT INTO notification_counts (church_id, person_id, notification_count, pm_count) VALUES (@church_id, @person_id, @notifications, @pms) " +
        "ON CONFLICT (church_id, person_id) DO UPDATE SET notification_count = notification_counts.notification_count + excluded.notification_count, " +
        "pm_count = notification_counts.pm_count + excluded.pm_count";

    /// <summary>@church_id, @person_id.</summary>
    public virtual string SelectCounts => "SELECT notification_count, pm_count FROM notification_counts WHERE church_id = @church_id AND person_id = @person_id";
}
