using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Http;

namespace OrleansSync.Demos.Photos;

/// <summary>
/// The photo gallery's application server (seed 000): a per-user photo list. Every change is published as an
/// <c>added</c> / <c>removed</c> event to every tab of the owner through the in-process <see cref="IEventPublisher"/>;
/// <c>GET</c> is the full sync a tab runs when told <c>need_full_sync</c>. All routes take the same JWT as the socket.
/// </summary>
public static class PhotoEndpoints
{
    private const int MaxTitleLength = 80;
    private const long MaxBodyBytes = 16 * 1024; // a title and a colour
    private static readonly string[] Palette = ["#e76f51", "#f4a261", "#e9c46a", "#2a9d8f", "#264653", "#8ab17d", "#6d597a", "#b56576"];

    /// <summary>Maps <c>/demo/api/photos</c>.</summary>
    public static void MapPhotoApi(this IEndpointRouteBuilder endpoints)
    {
        var photos = endpoints.MapGroup("/demo/api/photos");
        photos.MapGet("/", ListAsync);
        photos.MapPost("/", AddAsync).WithBodyLimit(MaxBodyBytes);
        photos.MapDelete("/{photoId}", RemoveAsync);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, PhotoStore store, CancellationToken cancellationToken)
    {
        var (user, error) = await BearerUser.ReadAsync(request.HttpContext);
        if (user is null)
        {
            return Unauthorized(error);
        }
        var list = await store.ListAsync(user.UserId, cancellationToken);
        return Results.Json(new PhotoList(list), DemoJsonContext.Default.PhotoList);
    }

    private static async Task<IResult> AddAsync(HttpRequest request, PhotoStore store, IEventPublisher publisher,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (user, error) = await BearerUser.ReadAsync(request.HttpContext);
        if (user is null)
        {
            return Unauthorized(error);
        }
        AddPhotoRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync(DemoJsonContext.Default.AddPhotoRequest, cancellationToken);
        }
        catch (JsonException exception)
        {
            return BadRequest("bad_json", "the body is not valid JSON: " + exception.Message);
        }
        var title = body?.Title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > MaxTitleLength)
        {
            return BadRequest("bad_title", $"title is required, at most {MaxTitleLength} characters");
        }
        var id = "p" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var color = body!.Color is { Length: 7 } c && c[0] == '#' && c.Skip(1).All(Uri.IsHexDigit) ? c : Palette[RandomNumberGenerator.GetInt32(Palette.Length)];
        var photo = new Photo(id, title, color, time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.AddAsync(user.UserId, photo, cancellationToken);
        var added = new PhotoAdded("added", photo.Id, photo.Title, photo.Color, photo.AddedAt);
        await publisher.PublishToUserAsync(user.UserId, JsonSerializer.SerializeToElement(added, DemoJsonContext.Default.PhotoAdded), cancellationToken);
        return Results.Json(photo, DemoJsonContext.Default.Photo, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RemoveAsync(string photoId, HttpRequest request, PhotoStore store,
        IEventPublisher publisher, CancellationToken cancellationToken)
    {
        var (user, error) = await BearerUser.ReadAsync(request.HttpContext);
        if (user is null)
        {
            return Unauthorized(error);
        }
        if (!await store.RemoveAsync(user.UserId, photoId, cancellationToken))
        {
            return Results.Json(new DemoError("not_found", $"no photo {photoId}"), DemoJsonContext.Default.DemoError, statusCode: StatusCodes.Status404NotFound);
        }
        var removed = new PhotoRemoved("removed", photoId);
        await publisher.PublishToUserAsync(user.UserId, JsonSerializer.SerializeToElement(removed, DemoJsonContext.Default.PhotoRemoved), cancellationToken);
        return Results.NoContent();
    }

    private static IResult Unauthorized(string? error) =>
        Results.Json(new DemoError("unauthorized", error ?? "invalid token"), DemoJsonContext.Default.DemoError, statusCode: StatusCodes.Status401Unauthorized);

    private static IResult BadRequest(string code, string message) =>
        Results.Json(new DemoError(code, message), DemoJsonContext.Default.DemoError, statusCode: StatusCodes.Status400BadRequest);
}
