"""The one list of what a ``.skops`` model file may build. Review every change to it.

skops stores a model as a tree of nodes in ``schema.json``. Each node names a *loader*,
which decides what skops does with it, and a class (``__module__`` + ``__class__``).
Baton loads a file only if every node is a pair (loader, class) listed in
:data:`CLASSES_BY_LOADER`; the check is by exact strings, never by module prefix, and
never imports a module the file names.

The accepted loaders build data or an instance of exactly the class they name:

- ``ObjectNode`` makes an instance of a scikit-learn estimator or of a helper class that
  fitted estimators keep, and restores its attributes;
- ``TreeNode``, ``LossNode``, ``RandomStateNode`` and ``RandomGeneratorNode`` rebuild a
  decision tree, a compiled loss, or numpy's random state (whose bit generator must be
  one of :data:`BIT_GENERATORS`);
- ``NdArrayNode``, ``DTypeNode``, ``MaskedArrayNode`` and ``SparseMatrixNode`` read
  numpy and scipy data (``.npy`` / ``.npz`` members, never with pickles allowed);
- ``DictNode``, ``ListNode``, ``TupleNode``, ``JsonNode`` and ``SliceNode`` are plain
  containers and values;
- ``TypeNode`` refers to a class without building anything. skops writes one for every
  dict key type and for ``dtype=`` parameters, so it is accepted for the scalar data
  types below and nothing else.

Every other loader is refused whatever class it names: ``FunctionNode``, ``MethodNode``,
``PartialNode``, ``OperatorFuncNode``, ``ConstructorFromReduceNode``,
``DefaultDictNode``, ``BytesNode``, ``CachedNode`` and any loader skops adds later. No
function, method or other callable passes, even one from scikit-learn itself: a model
whose file needs one (``SelectKBest``'s ``score_func``, a ``FunctionTransformer``) is
refused and can be handed over as ONNX.

The lists were generated from scikit-learn 1.9.1, numpy 2.4 and scipy 1.17 with skops
0.16 (``python -m tests.skops_catalog`` prints them); ``tests/security/
test_skops_allowlist.py`` regenerates them from the installed libraries and fails, naming
the class, when they differ.
"""

from __future__ import annotations

# skops file format versions whose loaders are the ones described above.
SKOPS_PROTOCOLS = (1, 2)

# numpy.random bit generators a saved numpy Generator may name.
BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")

# Every estimator sklearn.utils.all_estimators() lists.
SKLEARN_ESTIMATORS = (
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.cluster._affinity_propagation.AffinityPropagation",
    "sklearn.cluster._agglomerative.AgglomerativeClustering",
    "sklearn.cluster._agglomerative.FeatureAgglomeration",
    "sklearn.cluster._bicluster.SpectralBiclustering",
    "sklearn.cluster._bicluster.SpectralCoclustering",
    "sklearn.cluster._birch.Birch",
    "sklearn.cluster._bisect_k_means.BisectingKMeans",
    "sklearn.cluster._dbscan.DBSCAN",
    "sklearn.cluster._hdbscan.hdbscan.HDBSCAN",
    "sklearn.cluster._kmeans.KMeans",
    "sklearn.cluster._kmeans.MiniBatchKMeans",
    "sklearn.cluster._mean_shift.MeanShift",
    "sklearn.cluster._optics.OPTICS",
    "sklearn.cluster._spectral.SpectralClustering",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._target.TransformedTargetRegressor",
    "sklearn.covariance._elliptic_envelope.EllipticEnvelope",
    "sklearn.covariance._empirical_covariance.EmpiricalCovariance",
    "sklearn.covariance._graph_lasso.GraphicalLasso",
    "sklearn.covariance._graph_lasso.GraphicalLassoCV",
    "sklearn.covariance._robust_covariance.MinCovDet",
    "sklearn.covariance._shrunk_covariance.LedoitWolf",
    "sklearn.covariance._shrunk_covariance.OAS",
    "sklearn.covariance._shrunk_covariance.ShrunkCovariance",
    "sklearn.cross_decomposition._pls.CCA",
    "sklearn.cross_decomposition._pls.PLSCanonical",
    "sklearn.cross_decomposition._pls.PLSRegression",
    "sklearn.cross_decomposition._pls.PLSSVD",
    "sklearn.decomposition._dict_learning.DictionaryLearning",
    "sklearn.decomposition._dict_learning.MiniBatchDictionaryLearning",
    "sklearn.decomposition._dict_learning.SparseCoder",
    "sklearn.decomposition._factor_analysis.FactorAnalysis",
    "sklearn.decomposition._fastica.FastICA",
    "sklearn.decomposition._incremental_pca.IncrementalPCA",
    "sklearn.decomposition._kernel_pca.KernelPCA",
    "sklearn.decomposition._lda.LatentDirichletAllocation",
    "sklearn.decomposition._nmf.MiniBatchNMF",
    "sklearn.decomposition._nmf.NMF",
    "sklearn.decomposition._pca.PCA",
    "sklearn.decomposition._sparse_pca.MiniBatchSparsePCA",
    "sklearn.decomposition._sparse_pca.SparsePCA",
    "sklearn.decomposition._truncated_svd.TruncatedSVD",
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
    "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis",
    "sklearn.dummy.DummyClassifier",
    "sklearn.dummy.DummyRegressor",
    "sklearn.ensemble._bagging.BaggingClassifier",
    "sklearn.ensemble._bagging.BaggingRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.RandomTreesEmbedding",
    "sklearn.ensemble._gb.GradientBoostingClassifier",
    "sklearn.ensemble._gb.GradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._iforest.IsolationForest",
    "sklearn.ensemble._stacking.StackingClassifier",
    "sklearn.ensemble._stacking.StackingRegressor",
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.ensemble._voting.VotingRegressor",
    "sklearn.ensemble._weight_boosting.AdaBoostClassifier",
    "sklearn.ensemble._weight_boosting.AdaBoostRegressor",
    "sklearn.feature_extraction._dict_vectorizer.DictVectorizer",
    "sklearn.feature_extraction._hash.FeatureHasher",
    "sklearn.feature_extraction.image.PatchExtractor",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_selection._from_model.SelectFromModel",
    "sklearn.feature_selection._rfe.RFE",
    "sklearn.feature_selection._rfe.RFECV",
    "sklearn.feature_selection._sequential.SequentialFeatureSelector",
    "sklearn.feature_selection._univariate_selection.GenericUnivariateSelect",
    "sklearn.feature_selection._univariate_selection.SelectFdr",
    "sklearn.feature_selection._univariate_selection.SelectFpr",
    "sklearn.feature_selection._univariate_selection.SelectFwe",
    "sklearn.feature_selection._univariate_selection.SelectKBest",
    "sklearn.feature_selection._univariate_selection.SelectPercentile",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
    "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.gaussian_process._gpc.GaussianProcessClassifier",
    "sklearn.gaussian_process._gpr.GaussianProcessRegressor",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.impute._knn.KNNImputer",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.kernel_approximation.AdditiveChi2Sampler",
    "sklearn.kernel_approximation.Nystroem",
    "sklearn.kernel_approximation.PolynomialCountSketch",
    "sklearn.kernel_approximation.RBFSampler",
    "sklearn.kernel_approximation.SkewedChi2Sampler",
    "sklearn.kernel_ridge.KernelRidge",
    "sklearn.linear_model._base.LinearRegression",
    "sklearn.linear_model._bayes.ARDRegression",
    "sklearn.linear_model._bayes.BayesianRidge",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.linear_model._coordinate_descent.ElasticNetCV",
    "sklearn.linear_model._coordinate_descent.Lasso",
    "sklearn.linear_model._coordinate_descent.LassoCV",
    "sklearn.linear_model._coordinate_descent.MultiTaskElasticNet",
    "sklearn.linear_model._coordinate_descent.MultiTaskElasticNetCV",
    "sklearn.linear_model._coordinate_descent.MultiTaskLasso",
    "sklearn.linear_model._coordinate_descent.MultiTaskLassoCV",
    "sklearn.linear_model._glm.glm.GammaRegressor",
    "sklearn.linear_model._glm.glm.PoissonRegressor",
    "sklearn.linear_model._glm.glm.TweedieRegressor",
    "sklearn.linear_model._huber.HuberRegressor",
    "sklearn.linear_model._least_angle.Lars",
    "sklearn.linear_model._least_angle.LarsCV",
    "sklearn.linear_model._least_angle.LassoLars",
    "sklearn.linear_model._least_angle.LassoLarsCV",
    "sklearn.linear_model._least_angle.LassoLarsIC",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._logistic.LogisticRegressionCV",
    "sklearn.linear_model._omp.OrthogonalMatchingPursuit",
    "sklearn.linear_model._omp.OrthogonalMatchingPursuitCV",
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier",
    "sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor",
    "sklearn.linear_model._perceptron.Perceptron",
    "sklearn.linear_model._quantile.QuantileRegressor",
    "sklearn.linear_model._ransac.RANSACRegressor",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._ridge.RidgeCV",
    "sklearn.linear_model._ridge.RidgeClassifier",
    "sklearn.linear_model._ridge.RidgeClassifierCV",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._stochastic_gradient.SGDOneClassSVM",
    "sklearn.linear_model._stochastic_gradient.SGDRegressor",
    "sklearn.linear_model._theil_sen.TheilSenRegressor",
    "sklearn.manifold._classical_mds.ClassicalMDS",
    "sklearn.manifold._isomap.Isomap",
    "sklearn.manifold._locally_linear.LocallyLinearEmbedding",
    "sklearn.manifold._mds.MDS",
    "sklearn.manifold._spectral_embedding.SpectralEmbedding",
    "sklearn.manifold._t_sne.TSNE",
    "sklearn.mixture._bayesian_mixture.BayesianGaussianMixture",
    "sklearn.mixture._gaussian_mixture.GaussianMixture",
    "sklearn.model_selection._classification_threshold.FixedThresholdClassifier",
    "sklearn.model_selection._classification_threshold.TunedThresholdClassifierCV",
    "sklearn.model_selection._search.GridSearchCV",
    "sklearn.model_selection._search.RandomizedSearchCV",
    "sklearn.multiclass.OneVsOneClassifier",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.multiclass.OutputCodeClassifier",
    "sklearn.multioutput.ClassifierChain",
    "sklearn.multioutput.MultiOutputClassifier",
    "sklearn.multioutput.MultiOutputRegressor",
    "sklearn.multioutput.RegressorChain",
    "sklearn.naive_bayes.BernoulliNB",
    "sklearn.naive_bayes.CategoricalNB",
    "sklearn.naive_bayes.ComplementNB",
    "sklearn.naive_bayes.GaussianNB",
    "sklearn.naive_bayes.MultinomialNB",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._classification.RadiusNeighborsClassifier",
    "sklearn.neighbors._graph.KNeighborsTransformer",
    "sklearn.neighbors._graph.RadiusNeighborsTransformer",
    "sklearn.neighbors._kde.KernelDensity",
    "sklearn.neighbors._lof.LocalOutlierFactor",
    "sklearn.neighbors._nca.NeighborhoodComponentsAnalysis",
    "sklearn.neighbors._nearest_centroid.NearestCentroid",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neighbors._regression.RadiusNeighborsRegressor",
    "sklearn.neighbors._unsupervised.NearestNeighbors",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.neural_network._rbm.BernoulliRBM",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.Binarizer",
    "sklearn.preprocessing._data.KernelCenterer",
    "sklearn.preprocessing._data.MaxAbsScaler",
    "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.preprocessing._data.Normalizer",
    "sklearn.preprocessing._data.PowerTransformer",
    "sklearn.preprocessing._data.QuantileTransformer",
    "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._discretization.KBinsDiscretizer",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.preprocessing._label.MultiLabelBinarizer",
    "sklearn.preprocessing._polynomial.PolynomialFeatures",
    "sklearn.preprocessing._polynomial.SplineTransformer",
    "sklearn.preprocessing._target_encoder.TargetEncoder",
    "sklearn.random_projection.GaussianRandomProjection",
    "sklearn.random_projection.SparseRandomProjection",
    "sklearn.semi_supervised._label_propagation.LabelPropagation",
    "sklearn.semi_supervised._label_propagation.LabelSpreading",
    "sklearn.semi_supervised._self_training.SelfTrainingClassifier",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.svm._classes.LinearSVR",
    "sklearn.svm._classes.NuSVC",
    "sklearn.svm._classes.NuSVR",
    "sklearn.svm._classes.OneClassSVM",
    "sklearn.svm._classes.SVC",
    "sklearn.svm._classes.SVR",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
)

# Classes that fitted estimators keep besides estimators: calibrators, kernels, links,
# losses, binners, tree predictors, neighbour trees, distance metrics, optimizers, splitters.
SKLEARN_HELPERS = (
    "sklearn._loss.link.HalfLogitLink",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.loss.ExponentialLoss",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfGammaLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfPoissonLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.HalfTweedieLoss",
    "sklearn._loss.loss.HalfTweedieLossIdentity",
    "sklearn._loss.loss.HuberLoss",
    "sklearn._loss.loss.PinballLoss",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.gaussian_process._gpc._BinaryGaussianProcessClassifierLaplace",
    "sklearn.gaussian_process.kernels.ConstantKernel",
    "sklearn.gaussian_process.kernels.DotProduct",
    "sklearn.gaussian_process.kernels.ExpSineSquared",
    "sklearn.gaussian_process.kernels.Exponentiation",
    "sklearn.gaussian_process.kernels.Matern",
    "sklearn.gaussian_process.kernels.PairwiseKernel",
    "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.RBF",
    "sklearn.gaussian_process.kernels.RationalQuadratic",
    "sklearn.gaussian_process.kernels.Sum",
    "sklearn.gaussian_process.kernels.WhiteKernel",
    "sklearn.metrics._dist_metrics.ChebyshevDistance64",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.multiclass._ConstantPredictor",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)

# numpy's scalar types (np.sctypeDict): a value, or the dtype an estimator was told to use.
NUMPY_SCALARS = (
    "numpy.bool",
    "numpy.bytes_",
    "numpy.clongdouble",
    "numpy.complex128",
    "numpy.complex64",
    "numpy.datetime64",
    "numpy.float16",
    "numpy.float32",
    "numpy.float64",
    "numpy.int16",
    "numpy.int32",
    "numpy.int64",
    "numpy.int8",
    "numpy.longdouble",
    "numpy.longlong",
    "numpy.object_",
    "numpy.str_",
    "numpy.timedelta64",
    "numpy.uint16",
    "numpy.uint32",
    "numpy.uint64",
    "numpy.uint8",
    "numpy.ulonglong",
    "numpy.void",
)

# scipy's sparse matrices and arrays.
SPARSE_CLASSES = (
    "scipy.sparse._bsr.bsr_array",
    "scipy.sparse._bsr.bsr_matrix",
    "scipy.sparse._coo.coo_array",
    "scipy.sparse._coo.coo_matrix",
    "scipy.sparse._csc.csc_array",
    "scipy.sparse._csc.csc_matrix",
    "scipy.sparse._csr.csr_array",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._dia.dia_array",
    "scipy.sparse._dia.dia_matrix",
    "scipy.sparse._dok.dok_array",
    "scipy.sparse._dok.dok_matrix",
    "scipy.sparse._lil.lil_array",
    "scipy.sparse._lil.lil_matrix",
)

# Compiled loss objects, rebuilt by calling the class with the saved arguments.
LOSSES = (
    "sklearn._loss._loss.CyAbsoluteError",
    "sklearn._loss._loss.CyExponentialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfGammaLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfPoissonLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn._loss._loss.CyHalfTweedieLoss",
    "sklearn._loss._loss.CyHalfTweedieLossIdentity",
    "sklearn._loss._loss.CyHuberLoss",
    "sklearn._loss._loss.CyPinballLoss",
    "sklearn.linear_model._sgd_fast.EpsilonInsensitive",
    "sklearn.linear_model._sgd_fast.Hinge",
    "sklearn.linear_model._sgd_fast.ModifiedHuber",
    "sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive",
    "sklearn.linear_model._sgd_fast.SquaredHinge",
)


CLASSES_BY_LOADER: dict[str, tuple[str, ...]] = {
    "ObjectNode": SKLEARN_ESTIMATORS + SKLEARN_HELPERS,
    "TreeNode": ("sklearn.tree._tree.Tree",),
    "LossNode": LOSSES,
    "RandomStateNode": ("numpy.random.mtrand.RandomState",),
    "RandomGeneratorNode": ("numpy.random._generator.Generator",),
    "DictNode": ("builtins.dict", "sklearn.utils._bunch.Bunch"),
    "ListNode": ("builtins.list",),
    "TupleNode": ("builtins.tuple",),
    "JsonNode": ("builtins.str",),
    "SliceNode": ("builtins.slice",),
    "NdArrayNode": ("numpy.ndarray",) + NUMPY_SCALARS,
    "DTypeNode": ("numpy.dtype",),
    "MaskedArrayNode": ("numpy.ma.MaskedArray",),
    "SparseMatrixNode": SPARSE_CLASSES,
    "TypeNode": ("builtins.int", "builtins.str") + NUMPY_SCALARS,
}

ALLOWED: dict[str, frozenset[str]] = {
    loader: frozenset(names) for loader, names in CLASSES_BY_LOADER.items()
}

# Text vectorisers open the path (input="filename") or read the file object (input="file")
# that each row of their input names. A model of listed classes could still read any file
# the engineer's account can, so these classes must have input="content".
READS_NAMED_FILES = frozenset(
    {
        "sklearn.feature_extraction.text.CountVectorizer",
        "sklearn.feature_extraction.text.HashingVectorizer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
    }
)


def file_readers(model: object) -> list[str]:
    """Names of the text vectorisers in a loaded model that would read files.

    Walks the objects the model holds (attributes, lists, tuples, dict values, object
    arrays) once each. Only classes of this allowlist exist in a model loaded under it.
    """
    import numpy as np

    found: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, list | tuple):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
        elif hasattr(obj, "__dict__"):
            cls = type(obj)
            qualified = f"{cls.__module__}.{cls.__qualname__}"
            source = getattr(obj, "input", "content")
            if qualified in READS_NAMED_FILES and source != "content":
                found.append(f"{cls.__name__}(input={source!r})")
            stack.extend(vars(obj).values())
    return found
