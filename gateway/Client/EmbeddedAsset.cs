using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace OrleansSync.Gateway.Client;

/// <summary>A static file embedded in an assembly, served with a strong ETag (revalidated on every load).</summary>
public sealed class EmbeddedAsset
{
    private readonly byte[] _content;
    private readonly string _contentType;
    private readonly string _etag;

    private EmbeddedAsset(byte[] content, string contentType)
    {
        _content = content;
        _contentType = contentType;
        _etag = "\"" + Convert.ToHexString(SHA256.HashData(content), 0, 12) + "\"";
    }

    /// <summary>Reads resource <paramref name="name"/> of <paramref name="assembly"/>; throws if it is missing.</summary>
    public static EmbeddedAsset Load(Assembly assembly, string name, string contentType) => new(ReadBytes(assembly, name), contentType);

    /// <summary>The bytes of resource <paramref name="name"/> of <paramref name="assembly"/>; throws if it is missing.</summary>
    public static byte[] ReadBytes(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Writes the file (or 304 when the client's copy is current).</summary>
    public IResult Serve(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = _etag;
        if (context.Request.Headers.IfNoneMatch.Contains(_etag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(_content, _contentType);
    }

    /// <summary>Default content type for a file name.</summary>
    public static string ContentTypeOf(string fileName) => Path.GetExtension(fileName) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
