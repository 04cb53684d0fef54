using Orleans.Storage;

namespace OrleansSync.Storage.Sqlite;

/// <summary>Options of one named <see cref="SqliteGrainStorage"/> provider.</summary>
public sealed class SqliteGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The store's SQLite connection string (<c>Store:ConnectionString</c>, see <see cref="StoreFactory.SqliteConnectionString"/>).</summary>
    public string ConnectionString { get; set; } = StoreFactory.DefaultSqliteConnectionString;

    /// <summary>
    /// How state is turned into bytes. Unset: the serializer registered under the provider's name, else the silo's
    /// <see cref="IGrainStorageSerializer"/> (Orleans' default, its JSON settings).
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
