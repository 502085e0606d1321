/*-------------------------------------------------------------------------
 *
 * llm_catalog.c
 *	  The llm_models catalog: validating registrations (the trigger),
 *	  resolving a function's model argument, and the per-backend cache of
 *	  loaded models.
 *
 * A model is loaded once per backend at first use and kept: the file is
 * memory-mapped, so the page cache already holds a single copy of the
 * weights for every backend.  Each call looks the name up in llm_models
 * again, so a re-registered or deleted model is noticed at the next call.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "catalog/pg_authid.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#define LLM_DEFAULT_CONTEXT 4096

/* KV positions a backend's context may keep touched between calls */
#define LLM_KEEP_TOKENS 1024

/* loaded models of this backend; few, so a short list */
#define LLM_MAX_LOADED 8
static LlmLoadedModel *loaded[LLM_MAX_LOADED];

bool
LlmMayReadServerFiles(void)
{
	return superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
}

/*
 * "schema.llm_models", quoted, wherever the extension was installed (the
 * caller's search_path need not include it).  Needs an SPI connection.
 */
const char *
LlmCatalogTable(void)
{
	char	   *schema;

	/* operators qualified: a search_path may put a schema before pg_catalog */
	SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e"
				" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
				" WHERE e.extname OPERATOR(pg_catalog.=) 'llm'", true, 1);
	if (SPI_processed != 1)
		elog(ERROR, "extension \"llm\" is not installed in this database");
	schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return quote_qualified_identifier(schema, "llm_models");
}

static void ReportUnreadable(const char *path, const char *name, bool registering,
							 const char *sha256);
static void CheckInsideModelPath(const char *resolved);

/* The path the registration of the model being looked up holds, as stored. */
static char registered_path[MAXPGPATH];

/*
 * The registered bytes are not those of the file the registration now
 * leads to.  Who may read server files is told that file's path and
 * SHA-256 (to check a deployment); anyone else only the registered path,
 * since a symbolic link may have been pointed at a file they must learn
 * nothing about.
 */
void
LlmReportChangedFile(const char *name, const char *path, const char *actual,
					 const char *registered)
{
	bool		told = LlmMayReadServerFiles();

	/*
	 * On a hot standby the registration is the primary's, replicated, and
	 * cannot be changed here: the fix is the primary's file at this path on
	 * this host.
	 */
	if (RecoveryInProgress())
		ereport(ERROR,
				errcode(ERRCODE_DATA_CORRUPTED),
				errmsg("model file \"%s\" on this standby is not the file model \"%s\" was registered with on the primary",
					   told ? path : registered_path, name),
				told ?
				errdetail("Its SHA-256 is %s; the registered file's is %s.", actual, registered) :
				errdetail("Its bytes are not the registered ones (SHA-256 %s).", registered),
				errhint("Copy the primary's file to this path on this host: every server that runs the model needs the same file at the same path."));
	ereport(ERROR,
			errcode(ERRCODE_DATA_CORRUPTED),
			errmsg("model file \"%s\" has changed since model \"%s\" was registered",
				   told ? path : registered_path, name),
			told ?
			errdetail("Its SHA-256 is %s; it was %s.", actual, registered) :
			errdetail("Its bytes are not the registered ones (SHA-256 %s).", registered),
			errhint("To use the file as it is now: UPDATE llm_models SET path = path WHERE name = '%s';",
					name));
}

/*
 * llm.model_path as an absolute path: a relative setting is taken from the
 * data directory (the server's working directory), once, here, so that
 * what a registration stores does not depend on it later.
 */
static char *
ModelRoot(void)
{
	if (is_absolute_path(llm_model_path))
		return pstrdup(llm_model_path);
	return psprintf("%s/%s", DataDir, llm_model_path);
}

/* A registered path as given: relative ones are inside llm.model_path. */
static char *
JoinModelPath(const char *given)
{
	if (is_absolute_path(given) || llm_model_path[0] == '\0')
		return pstrdup(given);
	return psprintf("%s/%s", ModelRoot(), given);
}

/*
 * The file a registered path names now.  The catalog keeps the path as it
 * was given, made absolute (a relative one joined to llm.model_path at
 * registration) but with its symbolic links kept, so that a link swapped
 * to a new version (current.gguf -> v2.gguf) is followed at the next
 * validation; it is resolved again at each use.  A path that does not
 * resolve is returned as it is, for the caller's error to name.
 */
char *
LlmModelFilePath(const char *stored)
{
	char		resolved[PATH_MAX];
	char	   *joined = JoinModelPath(stored);

	if (realpath(joined, resolved) == NULL)
		return joined;
	return pstrdup(resolved);
}

/*
 * The canonical path of a model file a user wants to register: relative
 * paths resolve against llm.model_path, and users who are not superusers
 * may only name files inside it (after resolving symbolic links and "..").
 */
static char *
ResolveModelPath(const char *given)
{
	char		resolved[PATH_MAX];
	char	   *joined;
	struct stat st;

	if (given[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model path must not be empty"));
	if (!is_absolute_path(given) && llm_model_path[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("relative model path \"%s\" needs llm.model_path", given),
				errhint("Give an absolute path, or have a superuser set llm.model_path to the directory holding the models."));
	joined = JoinModelPath(given);

	if (realpath(joined, resolved) == NULL)
	{
		int			save = errno;
		struct passwd *pw = getpwuid(geteuid());

		errno = save;
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not access model file \"%s\": %m", joined),
				save == EACCES ?
				errhint("The server runs as operating-system user \"%s\", which must be able to read the file and search its directories.",
						pw ? pw->pw_name : "?") : 0);
	}
	if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model path \"%s\" is not a regular file", resolved));

	if (!superuser())
		CheckInsideModelPath(resolved);
	return pstrdup(resolved);
}

/* Users who are not superusers register files inside llm.model_path only. */
static void
CheckInsideModelPath(const char *resolved)
{
	char		root[PATH_MAX];
	size_t		n;

	if (llm_model_path[0] == '\0' || realpath(ModelRoot(), root) == NULL)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to register model file \"%s\"", resolved),
				errdetail("Users who are not superusers can only register files inside llm.model_path, which is not set to an existing directory."));
	n = strlen(root);
	if (strncmp(resolved, root, n) != 0 || (resolved[n] != '/' && root[n - 1] != '/'))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to register model file \"%s\"", resolved),
				errdetail("Users who are not superusers can only register files inside llm.model_path (\"%s\").", root));
}

/*
 * Open the file a registration validates, once: everything the trigger
 * reads of it (header, metadata, SHA-256) is read through this descriptor
 * (as /proc/self/fd/N), and the confinement check runs again on the file
 * the descriptor really is, so that swapping a directory or link between
 * the check and the reads cannot make the server read another file.
 * O_NONBLOCK: a FIFO swapped in must not hang the backend.  The
 * descriptor is a transient file, closed at the end of the transaction if
 * an error comes first.
 */
static int
OpenToRegister(const char *resolved, const char *name, char **read_path)
{
	char		proc[64];
	char		real[PATH_MAX];
	struct stat st;
	ssize_t		len;
	int			fd = OpenTransientFile(resolved, O_RDONLY | O_NONBLOCK | PG_BINARY);

	if (fd < 0)
		ReportUnreadable(resolved, name, true, NULL);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model path \"%s\" is not a regular file", resolved));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	len = readlink(proc, real, sizeof(real) - 1);
	if (len <= 0)
	{
		/* no /proc: the path, checked above, is what there is */
		*read_path = pstrdup(resolved);
		return fd;
	}
	real[len] = '\0';
	if (!superuser())
		CheckInsideModelPath(real);
	*read_path = pstrdup(proc);
	return fd;
}

/* An engine message about read_path, naming shown instead. */
static char *
ShownPath(const char *message, const char *read_path, const char *shown)
{
	const char *at = strstr(message, read_path);

	if (at == NULL || strcmp(read_path, shown) == 0)
		return pstrdup(message);
	return psprintf("%.*s%s%s", (int) (at - message), message, shown, at + strlen(read_path));
}

static void
RequireRegisterPrivilege(void)
{
	if (!LlmMayReadServerFiles())
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to register models"),
				errdetail("Only superusers and members of pg_read_server_files may register model files."));
}

/* Metadata of a model file, copied out of the engine's memory. */
typedef struct ModelFacts
{
	char	   *architecture;
	char	   *quantization;
	int64		parameters;
	int32		context_length;
	int32		vocab_size;
	text	   *chat_template;	/* NULL if none */
	const char *kind;			/* "generative" or "embedding" */
} ModelFacts;

#define LLM_OPTION_KEYS "context_size, chat_template"

/*
 * The options of a registration: a JSON object of known keys with values
 * of the right type and range.  Registering (strict) refuses anything else,
 * so that a typo ("context-size") is not silently ignored; a call reads
 * the options leniently, ignoring what it does not know, as a registration
 * made under version 1.0 (when options were free-form) may hold anything.
 */
void
LlmParseModelOptions(Jsonb *options, const char *name, bool strict, LlmModelOptions *out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	memset(out, 0, sizeof(*out));
	if ((options == NULL || !JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options)) && !strict)
		return;
	if (options == NULL || !JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("options of model \"%s\" must be a JSON object", name),
				errhint("Known options: " LLM_OPTION_KEYS "; for example '{\"context_size\": 4096}'."));
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "context_size") == 0)
		{
			int64		n = 0;
			bool		ok = v.type == jbvNumeric;

			if (ok)
				ok = !numeric_is_nan(v.val.numeric) && !numeric_is_inf(v.val.numeric);
			if (ok)
			{
				Numeric		rounded = DatumGetNumeric(DirectFunctionCall2(numeric_round,
																		  NumericGetDatum(v.val.numeric),
																		  Int32GetDatum(0)));

				ok = DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(rounded),
													  NumericGetDatum(v.val.numeric)));
				if (ok)
				{
					bool		overflow = false;

					n = numeric_int4_opt_error(rounded, &overflow);
					ok = !overflow;
				}
			}
			if ((!ok || n < 16 || n > (1 << 20)) && !strict)
				continue;
			if (!ok || n < 16 || n > (1 << 20))
				ereport(ERROR,
						errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option context_size of model \"%s\" must be an integer from 16 to %d",
							   name, 1 << 20));
			out->context_size = (int) n;
		}
		else if (strcmp(key, "chat_template") == 0)
		{
			char	   *family = v.type == jbvString ?
				pnstrdup(v.val.string.val, v.val.string.len) : NULL;
			bool		known = false;
			StringInfoData names;

			initStringInfo(&names);
			for (int f = 0; f < LLM_CHAT_FAMILY_COUNT; f++)
			{
				appendStringInfo(&names, "%s%s", f ? ", " : "", LlmChatFamilyName((LlmChatFamily) f));
				known |= family != NULL && strcmp(family, LlmChatFamilyName((LlmChatFamily) f)) == 0;
			}
			if (!known && !strict)
				continue;
			if (!known)
				ereport(ERROR,
						errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("option chat_template of model \"%s\" must name a template family", name),
						errdetail("Template families: %s.", names.data));
			strlcpy(out->chat_template, family, sizeof(out->chat_template));
		}
		else if (strict)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("unknown option \"%s\" of model \"%s\"", key, name),
					errhint("Known options: " LLM_OPTION_KEYS "."));
	}
}

/*
 * A file that is not a model says what it is instead: not GGUF at all (or
 * empty, or cut short), or a GGUF holding only a tokenizer vocabulary (as
 * llama.cpp's vocab-*.gguf test files do).  Anything else is the engine's
 * own error.
 */
static void
ReportNotAModel(const char *name, const char *path, const char *shown, LlmStatus status,
				const LlmError *load_err)
{
	unsigned char magic[4] = {0};
	ssize_t		got = -1;
	int			fd = open(path, O_RDONLY);
	GgufFile   *gguf;
	LlmError	err;

	if (fd >= 0)
	{
		got = read(fd, magic, sizeof(magic));
		close(fd);
	}
	if (status == LLM_ERR_FORMAT && got >= 0 && got < 4)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				errmsg("could not register model \"%s\": file \"%s\" is not a GGUF model file", name, shown),
				errdetail("The file is %zd bytes long; a GGUF file starts with the 4 bytes \"GGUF\".", got));
	if (status == LLM_ERR_FORMAT && got == 4 && memcmp(magic, "GGUF", 4) != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				errmsg("could not register model \"%s\": file \"%s\" is not a GGUF model file", name, shown),
				errdetail("It starts with the bytes %02x %02x %02x %02x; a GGUF file starts with \"GGUF\".",
						  magic[0], magic[1], magic[2], magic[3]));
	if (got == 4 && memcmp(magic, "GGUF", 4) == 0)
	{
		bool		vocab_only;

		if (GgufOpen(path, &gguf, &err) != LLM_OK)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					errmsg("could not register model \"%s\": file \"%s\" is a damaged or truncated GGUF file", name, shown),
					errdetail("%s", ShownPath(err.message, path, shown)));
		/* a tokenizer and no tensors at all, whatever its architecture says */
		vocab_only = gguf->n_tensors == 0 && GgufFind(gguf, "tokenizer.ggml.tokens") != NULL;
		GgufClose(gguf);
		if (vocab_only)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("could not register model \"%s\": file \"%s\" holds only a tokenizer vocabulary", name, shown),
					errdetail("It has a tokenizer's metadata and no tensors."),
					errhint("Register the model's own GGUF file, with its weights."));
		/* a GGUF that does not make a model: a tensor missing, a shape wrong */
		if (status == LLM_ERR_FORMAT)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					errmsg("could not register model \"%s\": file \"%s\" is a damaged or truncated GGUF file", name, shown),
					errdetail("%s", ShownPath(load_err->message, path, shown)));
	}
	{
		LlmError	shown_err = *load_err;

		strlcpy(shown_err.message, ShownPath(load_err->message, path, shown), sizeof(shown_err.message));
		LlmReportError(status, &shown_err, psprintf("could not register model \"%s\"", name));
	}
}

static void
ReadModelFacts(const char *name, const char *path, const char *shown, ModelFacts *facts)
{
	LlmModel   *model;
	LlmError	err;
	LlmStatus	s;
	GgufString	tmpl;

	s = LlmModelLoad(path, &model, &err);
	if (s != LLM_OK)
		ReportNotAModel(name, path, shown, s, &err);

	/* copy everything out before anything can throw */
	facts->architecture = pstrdup(model->arch_name);
	facts->quantization = pstrdup(LlmModelQuantName(model));
	facts->parameters = (int64) model->n_params;
	facts->context_length = model->hp.n_ctx_train;
	facts->vocab_size = model->hp.n_vocab;
	facts->kind = LlmModelKindName(model->kind);
	facts->chat_template = NULL;
	if (GgufGetString(model->gguf, "tokenizer.chat_template", &tmpl))
	{
		char	   *copy = palloc(tmpl.len + 1);

		memcpy(copy, tmpl.data, tmpl.len);
		copy[tmpl.len] = '\0';
		LlmModelFree(model);
		facts->chat_template = LlmUtf8ToText(copy, tmpl.len);
	}
	else
		LlmModelFree(model);
}

PG_FUNCTION_INFO_V1(llm_models_validate);

/*
 * BEFORE INSERT OR UPDATE trigger on llm_models: check the privilege and
 * the file, and fill in every metadata column from the file itself.
 */
Datum
llm_models_validate(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		isnull;
	char	   *name;
	char	   *path;
	char	   *given;
	char	   *read_path;
	int			fd;
	ModelFacts	facts;
	char		sha[65];
	Datum	   *values;
	bool	   *nulls;
	bool	   *replace;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event))
		elog(ERROR, "llm_models_validate must run as a BEFORE ROW trigger");
	RequireRegisterPrivilege();

	desc = trig->tg_relation->rd_att;
	tuple = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;

	name = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "name"));
	if (name == NULL)
		ereport(ERROR,
				errcode(ERRCODE_NOT_NULL_VIOLATION),
				errmsg("model name must not be NULL"));
	if (name[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model name must not be empty"));
	path = SPI_getvalue(tuple, desc, SPI_fnumber(desc, "path"));
	if (path == NULL)
		ereport(ERROR,
				errcode(ERRCODE_NOT_NULL_VIOLATION),
				errmsg("model path must not be NULL"));

	{
		Datum		opt = heap_getattr(tuple, SPI_fnumber(desc, "options"), desc, &isnull);
		LlmModelOptions parsed;

		LlmParseModelOptions(isnull ? NULL : DatumGetJsonbP(opt), name, true, &parsed);
	}
	given = path;
	path = ResolveModelPath(given);
	fd = OpenToRegister(path, name, &read_path);
	ReadModelFacts(name, read_path, path, &facts);
	LlmFileSha256(read_path, sha);
	CloseTransientFile(fd);

	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc0(sizeof(bool) * desc->natts);
	replace = palloc0(sizeof(bool) * desc->natts);
#define SET_COLUMN(col, datum, null) \
	do { \
		int			i_ = SPI_fnumber(desc, col) - 1; \
		values[i_] = (datum); \
		nulls[i_] = (null); \
		replace[i_] = true; \
	} while (0)
	SET_COLUMN("path", CStringGetTextDatum(JoinModelPath(given)), false);
	SET_COLUMN("sha256", CStringGetTextDatum(sha), false);
	SET_COLUMN("architecture", CStringGetTextDatum(facts.architecture), false);
	SET_COLUMN("quantization", CStringGetTextDatum(facts.quantization), false);
	SET_COLUMN("parameters", Int64GetDatum(facts.parameters), false);
	SET_COLUMN("context_length", Int32GetDatum(facts.context_length), false);
	SET_COLUMN("vocab_size", Int32GetDatum(facts.vocab_size), false);
	SET_COLUMN("chat_template", PointerGetDatum(facts.chat_template), facts.chat_template == NULL);
	/* (1.1 on: a library newer than the installed SQL has no such column) */
	if (SPI_fnumber(desc, "kind") > 0)
		SET_COLUMN("kind", CStringGetTextDatum(facts.kind), false);
	if (TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
	{
		/* a registration keeps its original date */
		Datum		created = heap_getattr(trig->tg_trigtuple, SPI_fnumber(desc, "created_at"),
										   desc, &isnull);

		SET_COLUMN("created_at", created, isnull);
	}
#undef SET_COLUMN

	tuple = heap_modify_tuple(tuple, desc, values, nulls, replace);
	return PointerGetDatum(tuple);
}

/* ", "-separated names of the registered models (for messages) */
static char *
RegisteredNames(const char *catalog)
{
	char	   *list;

	SPI_execute(psprintf("SELECT coalesce(pg_catalog.string_agg(pg_catalog.quote_literal(name), ', ' ORDER BY name), '') FROM %s",
						 catalog), true, 1);
	list = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return list ? list : "";
}

/*
 * The error for a name with no registration, saying what a user can do
 * about it: the name that differs only in case, that the catalog is per
 * database, or that the name came from llm.default_model.
 */
static void
ReportUnregistered(const char *catalog, const char *name, bool from_setting)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	char	   *registered = RegisteredNames(catalog);
	char	   *similar = NULL;

	SPI_execute_with_args(psprintf("SELECT name FROM %s WHERE pg_catalog.lower(name) OPERATOR(pg_catalog.=) pg_catalog.lower($1) ORDER BY name LIMIT 1",
								   catalog), 1, argtypes, args, NULL, true, 1);
	if (SPI_processed == 1)
		similar = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

	ereport(ERROR,
			errcode(ERRCODE_UNDEFINED_OBJECT),
			from_setting ?
			errmsg("model \"%s\" named by llm.default_model is not registered", name) :
			errmsg("model \"%s\" is not registered", name),
			registered[0] == '\0' ?
			errdetail("No model is registered in database \"%s\"; models are registered per database.",
					  get_database_name(MyDatabaseId)) :
			errdetail("Registered models: %s.", registered),
			similar ? errhint("Did you mean \"%s\"? Model names are case-sensitive.", similar) :
			from_setting ? errhint("SET llm.default_model to a registered model, or pass the model argument.") :
			errhint("Register it: INSERT INTO llm_models (name, path) VALUES ('%s', '/path/to/model.gguf');",
					name));
}

/* The model a NULL argument means: llm.default_model or the only one. */
static char *
DefaultModelName(const char *catalog)
{
	char	   *name;

	if (llm_default_model[0] != '\0')
		return pstrdup(llm_default_model);
	SPI_execute(psprintf("SELECT name FROM %s ORDER BY name LIMIT 2", catalog), true, 2);
	if (SPI_processed == 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("no model is registered"),
				errhint("Register one: INSERT INTO llm_models (name, path) VALUES ('my-model', '/path/to/model.gguf');"));
	if (SPI_processed > 1)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("no default model is set"),
				errdetail("Registered models: %s.", RegisteredNames(catalog)),
				errhint("Pass the model argument or SET llm.default_model."));
	name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return name;
}

/*
 * A registered file that cannot be read now (errno set): missing, or not
 * readable by the operating-system user the server runs as.
 */
static void
ReportUnreadable(const char *path, const char *name, bool registering, const char *sha256)
{
	int			save = errno;
	struct passwd *pw = getpwuid(geteuid());

	errno = save;

	/*
	 * On a hot standby the registration is the primary's: say which file
	 * this host needs, since it cannot be registered again here.
	 */
	if (!registering && RecoveryInProgress())
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("model file \"%s\" of model \"%s\" cannot be read on this standby: %m", path, name),
				errdetail("The primary registered it with SHA-256 %s: every server that runs the model needs that file at that path.",
						  sha256),
				save == EACCES ?
				errhint("The server runs as operating-system user \"%s\", which must be able to read the file and search its directories.",
						pw ? pw->pw_name : "?") :
				errhint("Copy the primary's file to this path on this host."));
	ereport(ERROR,
			errcode_for_file_access(),
			registering ?
			errmsg("could not register model \"%s\": file \"%s\" cannot be read: %m", name, path) :
			errmsg("model file \"%s\" of model \"%s\" cannot be read: %m", path, name),
			save == EACCES ?
			errhint("The server runs as operating-system user \"%s\", which must be able to read the file and search its directories.",
					pw ? pw->pw_name : "?") :
			registering ? 0 :
			errhint("Restore the file, or register the model again with its new path."));
}

static void
FreeLoaded(LlmLoadedModel *lm)
{
	LlmPrefixForget(lm);
	LlmContextFree(lm->ctx);
	/* the grammars' token trie is of this model's vocabulary */
	LlmTokenTrieFree(lm->trie);
	if (lm->pool_slot >= 0)
		LlmPoolDetach(lm);
	else
		LlmModelFree(lm->model);
	if (lm->private_copy)
		pfree(lm->private_copy);
	pfree(lm->name);
	pfree(lm->path);
	pfree(lm);
}

/*
 * With llm.lock_memory: keep a model's bytes in RAM for as long as this
 * backend uses them (mlock is per process; shared pages stay locked while
 * any backend holds them locked).  A refusal is a warning, not an error:
 * the model works, it may just be swapped out.
 */
void
LlmLockMemory(LlmLoadedModel *lm, const void *addr, size_t size)
{
	struct rlimit lim;

	if (!llm_lock_memory || size == 0)
		return;
	if (mlock(addr, size) == 0)
		return;
	getrlimit(RLIMIT_MEMLOCK, &lim);
	ereport(WARNING,
			errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			errmsg("could not lock the %zu MB of model \"%s\" in memory: %m", size >> 20, lm->name),
			errdetail("The server's memlock limit is %s.",
					  lim.rlim_cur == RLIM_INFINITY ? "unlimited" :
					  psprintf("%llu kB", (unsigned long long) lim.rlim_cur >> 10)),
			errhint("Raise the limit of the server's operating-system user (ulimit -l, LimitMEMLOCK= of its systemd unit), or SET llm.lock_memory = off."));
}

int
LlmLocalModels(LlmLoadedModel ***out)
{
	static LlmLoadedModel *list[LLM_MAX_LOADED];
	int			n = 0;

	for (int i = 0; i < LLM_MAX_LOADED; i++)
		if (loaded[i] != NULL)
			list[n++] = loaded[i];
	*out = list;
	return n;
}

/*
 * With the pool off: this backend's private copy of the file, read and
 * hashed in one pass.  A copy, not a mapping of the file: a file truncated
 * or copied over under a mapping kills the backend with SIGBUS (and the
 * server restarts every connection); a copy costs the file's size in each
 * backend that uses the model, which is what the shared pool avoids.
 */
/*
 * A model in use by this backend, not yet holding any bytes, for the
 * registration (name, path, sha256) of the file version file.  Session
 * memory: it lives as long as the backend keeps the model.
 */
LlmLoadedModel *
LlmNewLoaded(const char *name, const char *path, const char *sha256, const LlmFileId *file)
{
	LlmLoadedModel *lm = MemoryContextAllocZero(TopMemoryContext, sizeof(LlmLoadedModel));

	lm->name = MemoryContextStrdup(TopMemoryContext, name);
	lm->path = MemoryContextStrdup(TopMemoryContext, path);
	strlcpy(lm->sha256, sha256, sizeof(lm->sha256));
	lm->file = *file;
	lm->pool_slot = -1;
	return lm;
}

static LlmLoadedModel *
LoadPrivate(const char *name, const char *path, const char *sha256, const LlmFileId *file)
{
	LlmLoadedModel *lm = LlmNewLoaded(name, path, sha256, file);
	char		actual[65];
	instr_time	start;
	instr_time	took;
	LlmError	err;
	LlmStatus	s;

	INSTR_TIME_SET_CURRENT(start);
	lm->bytes = file->size;
	PG_TRY();
	{
		lm->private_copy = MemoryContextAllocHuge(TopMemoryContext, Max(file->size, 1));
		LlmReadFileSha256(path, lm->private_copy, file->size, actual);
		if (strcmp(actual, sha256) != 0)
			LlmReportChangedFile(name, path, actual, sha256);
		s = LlmModelAttach(lm->private_copy, file->size, NULL, 0, &lm->model, &err);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("could not load model \"%s\"", name));
	}
	PG_CATCH();
	{
		FreeLoaded(lm);
		PG_RE_THROW();
	}
	PG_END_TRY();
	INSTR_TIME_SET_CURRENT(took);
	INSTR_TIME_SUBTRACT(took, start);
	lm->load_ms = INSTR_TIME_GET_MILLISEC(took);
	lm->loaded_at = GetCurrentTimestamp();
	LlmLockMemory(lm, lm->private_copy, file->size);
	return lm;
}

/* The context this call wants: recreated when the settings change. */
void
LlmPrepareContext(LlmLoadedModel *lm)
{
	/* the setting, else the registration's option, else the model's own */
	int			n_ctx = llm_context_size > 0 ? llm_context_size :
		lm->options.context_size > 0 ? lm->options.context_size :
		Min(lm->model->hp.n_ctx_train, LLM_DEFAULT_CONTEXT);
	int			threads = Min(llm_threads, llm_max_threads);
	static int	warned_threads = 0;
	LlmError	err;
	LlmStatus	s;

	/*
	 * An encoder has a position for each of the tokens it was trained on
	 * and no more, and never continues a text: its context is that, not
	 * a setting meant for generating models.
	 */
	if (!lm->model->hp.causal)
		n_ctx = lm->model->hp.n_ctx_train;

	/* a setting that does not do what SHOW says is told, once per value */
	if (llm_threads > llm_max_threads && warned_threads != llm_threads)
	{
		warned_threads = llm_threads;
		ereport(NOTICE,
				errmsg("llm.threads = %d is capped by llm.max_threads = %d",
					   llm_threads, llm_max_threads));
	}
	if (n_ctx > lm->model->hp.n_ctx_train && lm->warned_context != n_ctx)
	{
		lm->warned_context = n_ctx;
		ereport(WARNING,
				errmsg("%s = %d is more than the %d tokens model \"%s\" was trained with",
					   llm_context_size > 0 ? "llm.context_size" : "option context_size",
					   n_ctx, lm->model->hp.n_ctx_train, lm->name),
				errdetail("Calls may use %d tokens; what the model writes past %d tokens is usually poor.",
						  n_ctx, lm->model->hp.n_ctx_train));
	}

	if (lm->ctx != NULL && (lm->ctx->n_ctx != n_ctx || lm->ctx->kv_type != llm_kv_cache_type))
	{
		LlmContextFree(lm->ctx);
		lm->ctx = NULL;
	}
	if (lm->ctx == NULL)
	{
		s = LlmContextCreateKv(lm->model, n_ctx, LLM_BATCH, 1, (LlmType) llm_kv_cache_type,
							   &lm->ctx, &err);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("could not create a context of %d tokens for model \"%s\"",
											 n_ctx, lm->name));
		lm->ctx->cancel = LlmCancelRequested;
	}
	s = LlmContextSetThreads(lm->ctx, threads, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("could not start %d threads", threads));
}

/*
 * After a call: a long call leaves its KV cache's pages in the backend for
 * good, so give them back (freeing a large allocation unmaps it) and let
 * the next call make a new context (LlmPrepareContext).  What a connection
 * keeps between calls is then bounded by LLM_KEEP_TOKENS positions.
 */
void
LlmTrimContext(LlmLoadedModel *lm)
{
	if (lm->ctx != NULL && LlmContextPast(lm->ctx) > LLM_KEEP_TOKENS)
	{
		LlmContextFree(lm->ctx);
		lm->ctx = NULL;
	}
}

/*
 * The registration a function's model argument names (NULL: the default
 * model): its name, path and SHA-256, palloc'd in the caller's context.
 */
static void
LookupModel(text *name_arg, char **name_out, char **path_out, char **sha_out,
			LlmModelOptions *options)
{
	const char *catalog;
	char	   *name;
	char	   *path;
	char	   *sha;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext caller = CurrentMemoryContext;

	SPI_connect();
	catalog = LlmCatalogTable();
	name = name_arg ? text_to_cstring(name_arg) : DefaultModelName(catalog);
	args[0] = CStringGetTextDatum(name);
	SPI_execute_with_args(psprintf("SELECT path, sha256, options FROM %s WHERE name OPERATOR(pg_catalog.=) $1", catalog),
						  1, argtypes, args, NULL, true, 1);
	if (SPI_processed == 0)
		ReportUnregistered(catalog, name, name_arg == NULL);
	path = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	sha = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	strlcpy(registered_path, path, sizeof(registered_path));
	{
		bool		isnull;
		Datum		opt = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);

		LlmParseModelOptions(isnull ? NULL : DatumGetJsonbP(opt), name, false, options);
	}
	/* keep the strings past SPI_finish; the path as it resolves now */
	name = MemoryContextStrdup(caller, name);
	path = MemoryContextStrdup(caller, LlmModelFilePath(path));
	sha = sha ? MemoryContextStrdup(caller, sha) : "";
	SPI_finish();
	*name_out = name;
	*path_out = path;
	*sha_out = sha;
}

LlmLoadedModel *
LlmGetModel(text *name_arg)
{
	return LlmGetModelExt(name_arg, NULL);
}

/* As LlmGetModel; *loaded_now says whether this call read the file. */
LlmLoadedModel *
LlmGetModelExt(text *name_arg, bool *loaded_now)
{
	LlmFileId	file;
	bool		pool_loaded = false;
	char	   *name;
	char	   *path;
	char	   *sha;
	int			slot = -1;
	LlmModelOptions options;
	LlmLoadedModel *lm;

	LookupModel(name_arg, &name, &path, &sha, &options);

	/* the file as it is now: a changed file is never used unchecked */
	if (!LlmFileIdOf(path, &file) || access(path, R_OK) != 0)
		ReportUnreadable(path, name, false, sha);
	if (file.regular && file.size == 0)
		LlmReportChangedFile(name, path,
							 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha);
	if (!file.regular)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model file \"%s\" of model \"%s\" is not a regular file", registered_path, name),
				errhint("Restore the file, or register the model again with its new path."));

	for (int i = 0; i < LLM_MAX_LOADED; i++)
	{
		lm = loaded[i];
		if (lm != NULL && strcmp(lm->name, name) == 0)
		{
			if (strcmp(lm->path, path) == 0 && strcmp(lm->sha256, sha) == 0 &&
				LlmFileIdEqual(&lm->file, &file) &&
				(lm->pool_slot < 0 || LlmPoolStillValid(lm)))
			{
				if (loaded_now)
					*loaded_now = false;
				lm->options = options;
				LlmPrepareContext(lm);
				return lm;
			}
			/* re-registered, changed on disk or unloaded: let it go */
			loaded[i] = NULL;
			FreeLoaded(lm);
		}
	}

	/* room: evict the first slot if all are taken */
	for (int i = 0; i < LLM_MAX_LOADED && slot < 0; i++)
		if (loaded[i] == NULL)
			slot = i;
	if (slot < 0)
	{
		FreeLoaded(loaded[0]);
		loaded[0] = NULL;
		slot = 0;
	}

	if (LlmPoolEnabled())
		lm = LlmPoolAttach(name, path, sha, &file, &pool_loaded);
	else
	{
		lm = LoadPrivate(name, path, sha, &file);
		pool_loaded = true;
	}
	if (loaded_now)
		*loaded_now = pool_loaded;
	loaded[slot] = lm;
	lm->options = options;
	LlmPrepareContext(lm);
	return lm;
}

/* Let go of every model this backend holds (the pool keeps its copies). */
void
LlmUnloadLocal(void)
{
	for (int i = 0; i < LLM_MAX_LOADED; i++)
		if (loaded[i] != NULL)
		{
			LlmLoadedModel *lm = loaded[i];

			loaded[i] = NULL;
			FreeLoaded(lm);
		}
}

PG_FUNCTION_INFO_V1(llm_load);

/*
 * llm_load(model): load a model now (into the shared pool, or with the pool
 * off into this backend) rather than at its first call.  true if this call
 * read the file, false if it was loaded already.
 */
Datum
llm_load(PG_FUNCTION_ARGS)
{
	bool		loaded_now;

	(void) LlmGetModelExt(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0), &loaded_now);
	PG_RETURN_BOOL(loaded_now);
}

PG_FUNCTION_INFO_V1(llm_unload);

/*
 * llm_unload(model): drop a model from the shared pool (and this backend).
 * Backends running it finish their calls on it; its memory goes when the
 * last of them lets go.  true if it was loaded.
 */
Datum
llm_unload(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *path;
	char	   *sha;
	LlmModelOptions options;
	bool		found = false;

	LookupModel(PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0), &name, &path, &sha, &options);
	for (int i = 0; i < LLM_MAX_LOADED; i++)
		if (loaded[i] != NULL &&
			(strcmp(loaded[i]->path, path) == 0 || strcmp(loaded[i]->name, name) == 0))
		{
			LlmLoadedModel *lm = loaded[i];

			loaded[i] = NULL;
			FreeLoaded(lm);
			found = true;
		}
	if (LlmPoolEnabled())
		found = LlmPoolUnload(name, path, sha) || found;
	PG_RETURN_BOOL(found);
}
