using OrleansSync.Conversations;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// An empty string written by the batch writer reads back empty, not NULL, on every store. (A token's claims may be
/// empty; on SQLite the writer binds strings itself, and a NULL person id would read back as "no identity".)
/// </summary>
public abstract class EmptyValueTests : IDisposable
{
    private readonly string _folder = TestFolder.Create();

    protected abstract StoreKind Store { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    [Fact]
    public async Task A_socket_identity_of_empty_strings_reads_back_empty()
    {
        await using var store = await new StoreUnderTest(Store, _folder).OpenAsync();
        await store.RegisterSocketAsync("socket-1", "node-a");
        await store.SetSocketSessionAsync("socket-1", "session-1", new RoomCaller("", "", ""));

        var found = await store.FindSocketAsync("socket-1");

        Assert.NotNull(found);
        Assert.Equal(new RoomCaller("", "", ""), found.Identity);
    }
}

public sealed class EmptyValueTestsOnSqlite : EmptyValueTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

[Collection(nameof(PostgresServer))]
public sealed class EmptyValueTestsOnPostgres : EmptyValueTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
