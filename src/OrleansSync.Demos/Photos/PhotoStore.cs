using System.Data.Common;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Demos.Photos;

/// <summary>
/// The demo's photo lists, in their own table of the node's database (so they survive a restart like the
/// session queues do). Plain SQL that SQLite and PostgreSQL both accept.
/// </summary>
public sealed class PhotoStore(SqlDialect dialect)
{
    private readonly SemaphoreSlim _migrate = new(1, 1);
    private bool _migrated;

    /// <summary>The user's photos, oldest first.</summary>
    public async Task<IReadOnlyList<Photo>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "SELECT photo_id, title, color, added_at FROM demo_photos WHERE user_id = @user_id ORDER BY added_at, photo_id",
            ("@user_id", userId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var photos = new List<Photo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            photos.Add(new Photo(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }
        return photos;
    }

    /// <summary>Stores a new photo.</summary>
    public async Task AddAsync(string userId, Photo photo, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO demo_photos (user_id, photo_id, title, color, added_at) VALUES (@user_id, @photo_id, @title, @color, @added_at)",
            ("@user_id", userId), ("@photo_id", photo.Id), ("@title", photo.Title), ("@color", photo.Color), ("@added_at", photo.AddedAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes a photo; false if the user has no photo with that id.</summary>
    public async Task<bool> RemoveAsync(string userId, string photoId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "DELETE FROM demo_photos WHERE user_id = @user_id AND photo_id = @photo_id", ("@user_id", userId), ("@photo_id", photoId));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await dialect.OpenConnectionAsync(cancellationToken);
        if (!Volatile.Read(ref _migrated))
        {
            await _migrate.WaitAsync(cancellationToken);
            try
            {
                if (!_migrated)
                {
                    await using var create = Command(connection,
                        "CREATE TABLE IF NOT EXISTS demo_photos (user_id TEXT NOT NULL, photo_id TEXT NOT NULL, title TEXT NOT NULL, " +
                        "color TEXT NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (user_id, photo_id))");
                    await create.ExecuteNonQueryAsync(cancellationToken);
                    Volatile.Write(ref _migrated, true);
                }
            }
            finally
            {
                _migrate.Release();
            }
        }
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
